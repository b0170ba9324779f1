// A real documentation site for the crawler's tests: node:http on 127.0.0.1, pages the test can change, remove,
// slow down or hold between crawls, ETags answered with 304, and every request recorded.
import { createHash } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Test } from 'tap';

export type Page = {
  body?: string;
  type?: string;
  status?: number;
  headers?: Record<string, string>;
  /** Never answered (until the test ends). */
  hang?: boolean;
  /** Answered after this long. */
  delayMs?: number;
};

export type Request = { path: string; status: number; conditional: boolean };

/** `pages` by path (with the query); `{base}` in a body or header is the site's origin. */
export async function docsSite(t: Test, pages: Record<string, Page | string>) {
  const site = new Map<string, Page>(
    Object.entries(pages).map(([path, p]) => [path, typeof p === 'string' ? { body: p } : p]),
  );
  const requests: Request[] = [];
  const hung: ServerResponse[] = [];
  const state = { holding: null as ((path: string) => boolean) | null, held: [] as (() => void)[] };
  let base = '';
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    const page = site.get(path);
    const conditional = req.headers['if-none-match'] !== undefined || req.headers['if-modified-since'] !== undefined;
    // Recorded as it arrives (status 0 until answered): a request in flight counts.
    const request: Request = { path, status: 0, conditional };
    requests.push(request);
    const answer = () => {
      if (!page) {
        request.status = 404;
        res.writeHead(404, { 'content-type': 'text/html' }).end('<h1>Not found</h1>');
        return;
      }
      const body = (page.body ?? '').replaceAll('{base}', base);
      const etag = `"${createHash('sha1').update(body).digest('hex').slice(0, 16)}"`;
      const headers = Object.fromEntries(
        Object.entries(page.headers ?? {}).map(([k, v]) => [k, v.replaceAll('{base}', base)]),
      );
      if (req.headers['if-none-match'] === etag) {
        request.status = 304;
        res.writeHead(304, { etag }).end();
        return;
      }
      const status = page.status ?? 200;
      request.status = status;
      // With its length, as web servers send a file: the crawler refuses a page too large before reading it.
      const length = String(Buffer.byteLength(body));
      const type = page.type ?? 'text/html; charset=utf-8';
      res.writeHead(status, { 'content-type': type, 'content-length': length, etag, ...headers }).end(body);
    };
    if (page?.hang) {
      hung.push(res);
      return;
    }
    if (state.holding?.(path)) return void state.held.push(answer);
    if (page?.delayMs) return void setTimeout(answer, page.delayMs);
    answer();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  t.teardown(
    () =>
      new Promise<void>((resolve) => {
        for (const res of hung) res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return {
    base,
    site,
    requests,
    /** The requests for `path` (answered with `status`, if given). */
    hits: (path: string, status?: number) =>
      requests.filter((r) => r.path === path && (status === undefined || r.status === status)).length,
    /** From now on, requests (those `which` picks) wait unanswered until release(). */
    hold(which: (path: string) => boolean = () => true) {
      state.holding = which;
    },
    /** Requests waiting now. */
    held: () => state.held.length,
    release() {
      state.holding = null;
      for (const answer of state.held.splice(0)) answer();
    },
  };
}

/** A page of a documentation site: a title, nav links (as a real site's chrome) and the main text. */
export function htmlPage(title: string, text: string, links: string[] = [], head = ''): string {
  const nav = links.map((href) => `<li><a href="${href}">${href}</a></li>`).join('');
  return `<!doctype html><html><head><title>${title}</title>${head}</head><body>
<nav><ul>${nav}</ul></nav>
<main><h1 id="top">${title}</h1><p>${text}</p></main>
<footer>Copyright Acme</footer></body></html>`;
}
