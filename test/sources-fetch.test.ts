// The crawler's fetching against a real local site: pages and their validators, redirects (in scope, out of
// scope, too many), time-outs, size and type limits, HTTP failures, refused addresses, robots.txt and sitemaps.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import t, { type Test } from 'tap';
import * as addressGuard from '../src/net/address-guard.js';
import { createFetcher, type Fetched, type Fetcher } from '../src/sources/fetch.js';
import { fetchRobots, parseRobots } from '../src/sources/robots.js';
import { defaultSitemaps, sitemapUrls } from '../src/sources/sitemap.js';
import { crawlScope } from '../src/sources/urls.js';

type Route = (req: IncomingMessage, res: ServerResponse, origin: string, port: number) => void;

const ETAG = '"v1"';
const MODIFIED = 'Wed, 02 Dec 2026 10:00:00 GMT';
const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const urlset = (locs: string[]) =>
  xml(
    `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs.map((l) => `<url><loc> ${l} </loc></url>`).join('')}</urlset>`,
  );
const index = (locs: string[]) =>
  xml(
    `<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${locs.map((l) => `<sitemap><loc>${l}</loc></sitemap>`).join('')}</sitemapindex>`,
  );

const send = (
  res: ServerResponse,
  status: number,
  headers: Record<string, string | number>,
  body: string | Buffer = '',
) => res.writeHead(status, headers).end(body);
const redirect = (res: ServerResponse, status: number, location: string) => send(res, status, { location });

const routes: Record<string, Route> = {
  '/docs/page': (req, res) => {
    if (req.headers['if-none-match'] === ETAG || req.headers['if-modified-since'] === MODIFIED)
      return send(res, 304, { etag: ETAG });
    send(
      res,
      200,
      { 'content-type': 'text/html; charset=utf-8', etag: ETAG, 'last-modified': MODIFIED },
      '<h1>Café</h1>',
    );
  },
  '/docs/r1': (_, res) => redirect(res, 301, '/docs/r2'),
  '/docs/r2': (_, res) => redirect(res, 302, 'r3?x=1#frag'),
  '/docs/r3': (_, res, _origin, port) => redirect(res, 307, `HTTP://127.0.0.1:${port}/docs/page`),
  '/docs/out': (_, res) => redirect(res, 302, 'https://elsewhere.dev/x'),
  '/docs/never': () => {}, // holds the request: never answers
  '/docs/stalls': (_, res) => res.writeHead(200, { 'content-type': 'text/html' }).write('<p>first bytes, then nothing'),
  '/docs/huge': (_, res) => send(res, 200, { 'content-type': 'text/html', 'content-length': 5000 }, 'x'.repeat(5000)),
  '/docs/huge-chunked': (_, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    for (let i = 0; i < 5; i++) res.write('y'.repeat(1000));
    res.end();
  },
  '/docs/fits': (_, res) => send(res, 200, { 'content-type': 'text/plain' }, 'z'.repeat(1000)),
  '/docs/gzip': (req, res) =>
    String(req.headers['accept-encoding']).includes('gzip')
      ? send(res, 200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }, gzipSync('<p>squeezed</p>'))
      : send(res, 406, {}),
  '/docs/br': (_, res) =>
    send(res, 200, { 'content-type': 'text/plain', 'content-encoding': 'br' }, brotliCompressSync('brotli words')),
  '/docs/bomb': (_, res) =>
    send(res, 200, { 'content-type': 'text/html', 'content-encoding': 'gzip' }, gzipSync('b'.repeat(50_000))),
  '/docs/manual.pdf': (_, res) => send(res, 200, { 'content-type': 'application/pdf' }, '%PDF-1.7'),
  '/docs/logo.png': (_, res) => send(res, 200, { 'content-type': 'image/png' }, '\x89PNG'),
  '/docs/404': (_, res) => send(res, 404, { 'content-type': 'text/html' }, 'not found'),
  '/docs/410': (_, res) => send(res, 410, {}),
  '/docs/500': (_, res) => send(res, 500, {}),
  '/docs/guide.md': (_, res) => send(res, 200, {}, '# Guide'),
  '/docs/raw.md': (_, res) => send(res, 200, { 'content-type': 'text/plain' }, '# Raw'),
  '/docs/x-md': (_, res) => send(res, 200, { 'content-type': 'text/x-markdown' }, '# X'),
  '/docs/untyped': (_, res) => send(res, 200, {}, '  <!doctype html><p>hi'),
  '/docs/untyped-text': (_, res) => send(res, 200, {}, 'just words'),
  '/docs/latin1': (_, res) =>
    send(res, 200, { 'content-type': 'text/html; charset=ISO-8859-1' }, Buffer.from('caf\xe9', 'latin1')),
  '/docs/to-loopback': (_, res, _origin, port) => redirect(res, 302, `http://127.0.0.2:${port}/docs/page`),
  '/docs/to-localhost': (_, res, _origin, port) => redirect(res, 302, `http://localhost:${port}/docs/page`),
  '/robots.txt': (_, res, origin) =>
    send(
      res,
      200,
      { 'content-type': 'text/plain' },
      'User-agent: *\nDisallow: /docs/private/\n\nUser-agent: docs-chat\nDisallow: /docs/drafts/\n\n' +
        `Sitemap: ${origin}/sitemap_index.xml\nSitemap: ${origin}/docs/sitemap-2.xml\n`,
    ),
  '/sitemap_index.xml': (_, res, origin) =>
    send(
      res,
      200,
      { 'content-type': 'application/xml' },
      index([
        `${origin}/docs/sitemap-1.xml`,
        '/docs/sitemap-2.xml',
        `${origin}/docs/sitemap-1.xml`,
        '/sitemap_index.xml',
      ]),
    ),
  '/docs/sitemap-1.xml': (_, res, origin) =>
    send(
      res,
      200,
      { 'content-type': 'application/xml; charset=utf-8' },
      urlset([`${origin}/docs/a`, `${origin}/docs/b#part`, `${origin}/blog/post`, 'https://elsewhere.dev/docs/c']),
    ),
  '/docs/sitemap-2.xml': (_, res, origin) =>
    send(res, 200, { 'content-type': 'text/xml' }, urlset([`${origin}/docs/c`, `${origin}/docs/a`, '/docs/d'])),
};

/** The local site: the routes above (and `overrides`); `hits` counts the requests per path, `agents` their user agents. */
async function site(t: Test, overrides: Record<string, Route> = {}) {
  const hits = new Map<string, number>();
  const agents = new Set<string>();
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    agents.add(String(req.headers['user-agent']));
    const route = overrides[path] ?? routes[path];
    if (!route) return send(res, 404, {});
    route(req, res, origin, port);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  t.teardown(() => {
    server.closeAllConnections();
    server.close();
  });
  return { origin, port, hits, agents };
}

function fetcher(t: Test, opts: Partial<Parameters<typeof createFetcher>[0]> = {}): Fetcher {
  const f = createFetcher({ allowPrivate: true, timeoutMs: 5000, ...opts });
  t.teardown(() => f.close());
  return f;
}

const inDocs = (origin: string) => {
  const scope = crawlScope(`${origin}/docs/`, [], []);
  return { inScope: (u: string) => scope.contains(u) };
};

t.test('a page, its validators, and a 304 when they still hold', async (t) => {
  const { origin, agents } = await site(t);
  const f = fetcher(t);
  const page = await f.fetch(`${origin}/docs/page`, inDocs(origin));
  t.same(page, {
    kind: 'page',
    url: `${origin}/docs/page`,
    contentType: 'text/html',
    body: '<h1>Café</h1>',
    etag: ETAG,
    lastModified: MODIFIED,
  });
  t.same(agents, new Set(['docs-chat']), 'the crawler names itself');
  const notModified = { kind: 'not-modified', url: `${origin}/docs/page` };
  t.same(await f.fetch(`${origin}/docs/page`, { ...inDocs(origin), etag: ETAG }), notModified, 'If-None-Match');
  t.same(await f.fetch(`${origin}/docs/page`, { ...inDocs(origin), lastModified: MODIFIED }), notModified);
  const stale = await f.fetch(`${origin}/docs/page`, { ...inDocs(origin), etag: '"v0"' });
  t.equal(stale.kind, 'page', 'a changed page comes whole');
});

t.test('redirects: followed in scope to the final URL, skipped out of scope, failed past five', async (t) => {
  const { origin, hits } = await site(t);
  const f = fetcher(t);
  const followed = await f.fetch(`${origin}/docs/r1`, inDocs(origin));
  t.match(followed, { kind: 'page', url: `${origin}/docs/page`, body: '<h1>Café</h1>' });
  t.equal(hits.get('/docs/r3'), 1, 'each hop requested once');

  t.same(await f.fetch(`${origin}/docs/out`, inDocs(origin)), {
    kind: 'skipped',
    url: `${origin}/docs/out`,
    reason: 'redirected out of scope to https://elsewhere.dev/x',
  });
  const narrow = { inScope: (u: string) => !u.includes('/docs/r3') };
  t.same(await f.fetch(`${origin}/docs/r1`, narrow), {
    kind: 'skipped',
    url: `${origin}/docs/r2`,
    reason: `redirected out of scope to ${origin}/docs/r3?x=1`,
  });

  // A chain of n redirects: /docs/hop/n → /docs/hop/n-1 … → /docs/hop/0, a page.
  const chain = createFetcher({ allowPrivate: true, timeoutMs: 5000 });
  t.teardown(() => chain.close());
  const server = createServer((req, res) => {
    const n = Number(req.url?.split('/').pop());
    if (n === 0) return send(res, 200, { 'content-type': 'text/plain' }, 'end');
    redirect(res, 302, `/docs/hop/${n - 1}`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => server.close());
  const hopOrigin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const any = { inScope: () => true };
  t.match(await chain.fetch(`${hopOrigin}/docs/hop/5`, any), { kind: 'page', url: `${hopOrigin}/docs/hop/0` });
  t.same(await chain.fetch(`${hopOrigin}/docs/hop/6`, any), {
    kind: 'failed',
    url: `${hopOrigin}/docs/hop/1`,
    reason: 'too many redirects',
    gone: false,
  });
});

t.test('the deadline covers the whole fetch: no answer, or a body that stalls', async (t) => {
  const { origin } = await site(t);
  const f = fetcher(t, { timeoutMs: 300 });
  const expected = (path: string): Fetched => ({
    kind: 'failed',
    url: `${origin}${path}`,
    reason: 'timed out after 300 ms',
    gone: false,
  });
  t.same(await f.fetch(`${origin}/docs/never`, inDocs(origin)), expected('/docs/never'));
  t.same(await f.fetch(`${origin}/docs/stalls`, inDocs(origin)), expected('/docs/stalls'));
  t.match(await f.fetch(`${origin}/docs/page`, inDocs(origin)), { kind: 'page' }, 'the fetcher still works after');
});

t.test('size and type limits: too large (with or without Content-Length), not a text type', async (t) => {
  const { origin } = await site(t);
  const f = fetcher(t, { maxBytes: 1000 });
  const tooLarge = (path: string) => ({
    kind: 'skipped',
    url: `${origin}${path}`,
    reason: 'too large (over 1000 bytes)',
  });
  t.same(await f.fetch(`${origin}/docs/huge`, inDocs(origin)), tooLarge('/docs/huge'), 'Content-Length says so');
  t.same(await f.fetch(`${origin}/docs/huge-chunked`, inDocs(origin)), tooLarge('/docs/huge-chunked'), 'counted');
  t.match(await f.fetch(`${origin}/docs/fits`, inDocs(origin)), { kind: 'page', body: 'z'.repeat(1000) }, 'at the cap');
  t.same(await f.fetch(`${origin}/docs/bomb`, inDocs(origin)), tooLarge('/docs/bomb'), 'counted once decompressed');
  t.same(await f.fetch(`${origin}/docs/manual.pdf`, inDocs(origin)), {
    kind: 'skipped',
    url: `${origin}/docs/manual.pdf`,
    reason: 'not HTML, markdown or text (application/pdf)',
  });
  t.match(await f.fetch(`${origin}/docs/logo.png`, inDocs(origin)), {
    kind: 'skipped',
    reason: 'not HTML, markdown or text (image/png)',
  });
  t.match(await fetcher(t).fetch(`${origin}/docs/huge`, inDocs(origin)), { kind: 'page' }, 'the default cap is 5 MB');
});

t.test('content types: markdown by type or extension, sniffed HTML, text; latin1 decoded', async (t) => {
  const { origin } = await site(t);
  const f = fetcher(t);
  const typeOf = async (path: string) => {
    const r = await f.fetch(`${origin}${path}`, inDocs(origin));
    return r.kind === 'page' ? r.contentType : r.kind;
  };
  t.equal(await typeOf('/docs/x-md'), 'text/markdown', 'text/x-markdown');
  t.equal(await typeOf('/docs/guide.md'), 'text/markdown', 'no type, a .md path');
  t.equal(await typeOf('/docs/raw.md'), 'text/markdown', 'text/plain, a .md path');
  t.equal(await typeOf('/docs/untyped'), 'text/html', 'no type, markup');
  t.equal(await typeOf('/docs/untyped-text'), 'text/plain', 'no type, words');
  t.match(await f.fetch(`${origin}/docs/latin1`, inDocs(origin)), { kind: 'page', body: 'café' });
  t.match(await f.fetch(`${origin}/docs/gzip`, inDocs(origin)), { kind: 'page', body: '<p>squeezed</p>' }, 'gzip');
  t.match(await f.fetch(`${origin}/docs/br`, inDocs(origin)), { kind: 'page', body: 'brotli words' }, 'brotli');
});

t.test('HTTP failures: 404 and 410 are gone, 500 is not; a closed port is refused', async (t) => {
  const { origin } = await site(t);
  const f = fetcher(t);
  const failed = (path: string, reason: string, gone: boolean) => ({
    kind: 'failed',
    url: `${origin}${path}`,
    reason,
    gone,
  });
  t.same(await f.fetch(`${origin}/docs/404`, inDocs(origin)), failed('/docs/404', 'HTTP 404', true));
  t.same(await f.fetch(`${origin}/docs/410`, inDocs(origin)), failed('/docs/410', 'HTTP 410', true));
  t.same(await f.fetch(`${origin}/docs/500`, inDocs(origin)), failed('/docs/500', 'HTTP 500', false));
  const closed = createServer();
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
  const port = (closed.address() as AddressInfo).port;
  await new Promise((resolve) => closed.close(resolve));
  t.same(await f.fetch(`http://127.0.0.1:${port}/`, { inScope: () => true }), {
    kind: 'failed',
    url: `http://127.0.0.1:${port}/`,
    reason: 'connection refused',
    gone: false,
  });
});

t.test('private addresses are refused unless allowed, before any request', async (t) => {
  const { origin, port, hits } = await site(t);
  const f = fetcher(t, { allowPrivate: false });
  t.same(await f.fetch(`${origin}/docs/page`, inDocs(origin)), {
    kind: 'skipped',
    url: `${origin}/docs/page`,
    reason: 'refused address: 127.0.0.1 is not a public address',
  });
  const byName = await f.fetch(`http://localhost:${port}/docs/page`, { inScope: () => true });
  t.match(byName, { kind: 'skipped', reason: /^refused address: localhost resolves to (127\.0\.0\.1|::1)/ });
  t.equal(hits.get('/docs/page'), undefined, 'the site never saw a request');
});

t.test('a redirect to a private address is refused at that hop', async (t) => {
  const { origin, port, hits } = await site(t);
  // Every address a test can listen on is private: here only 127.0.0.1 written as such passes, everything
  // else goes through the real guard (127.0.0.2 written as such; a name, at its lookup).
  const { createFetcher: guarded } = await t.mockImport<typeof import('../src/sources/fetch.js')>(
    // Absolute: tap would resolve a relative path from the TypeScript file, not the transpiled one that runs.
    new URL('../src/sources/fetch.js', import.meta.url).href,
    {
      [new URL('../src/net/address-guard.js', import.meta.url).href]: {
        ...addressGuard,
        guardRequest: (url: URL, allowPrivate: boolean) =>
          url.hostname === '127.0.0.1' ? {} : addressGuard.guardRequest(url, allowPrivate),
      },
    },
  );
  const f = guarded({ allowPrivate: false, timeoutMs: 5000 });
  t.teardown(() => f.close());
  const any = { inScope: () => true };
  t.same(await f.fetch(`${origin}/docs/to-loopback`, any), {
    kind: 'skipped',
    url: `http://127.0.0.2:${port}/docs/page`,
    reason: 'refused address: 127.0.0.2 is not a public address',
  });
  t.match(await f.fetch(`${origin}/docs/to-localhost`, any), {
    kind: 'skipped',
    url: `http://localhost:${port}/docs/page`,
    reason: /^refused address: localhost resolves to/,
  });
  t.equal(hits.get('/docs/page'), undefined, 'the redirect target never saw a request');
});

t.test('robots.txt: fetched, parsed for docs-chat and *, its sitemaps; absent is null', async (t) => {
  const { origin } = await site(t);
  const f = fetcher(t);
  const text = await fetchRobots(f, origin);
  t.match(text, /Disallow: \/docs\/drafts\//);
  const robots = parseRobots(`${origin}/robots.txt`, text);
  t.notOk(robots.allowed(`${origin}/docs/drafts/a`), 'the docs-chat group');
  t.ok(robots.allowed(`${origin}/docs/private/a`), 'the docs-chat group replaces the * group');
  t.ok(robots.allowed(`${origin}/docs/page`));
  t.same(robots.sitemaps, [`${origin}/sitemap_index.xml`, `${origin}/docs/sitemap-2.xml`]);

  const star = parseRobots(`${origin}/robots.txt`, text!.replace('User-agent: docs-chat', 'User-agent: other'));
  t.notOk(star.allowed(`${origin}/docs/private/a`), 'without a docs-chat group, the * group applies');

  const absent = await site(t, {
    '/robots.txt': (_, res) => send(res, 404, { 'content-type': 'text/plain' }, 'no'),
  });
  t.equal(await fetchRobots(f, absent.origin), null, 'a 404 is no robots.txt');
  const html = await site(t, {
    '/robots.txt': (_, res) => send(res, 200, { 'content-type': 'text/html' }, '<p>hi'),
  });
  t.equal(await fetchRobots(f, html.origin), null, 'an HTML page is no robots.txt');
});

t.test('sitemaps: an index of two sitemaps, each fetched once, in-scope pages only, up to the limit', async (t) => {
  const { origin, hits } = await site(t);
  const f = fetcher(t);
  const scope = crawlScope(`${origin}/docs/`, [], []);
  const opts = { inScope: (u: string) => scope.contains(u), limit: 100 };
  const pages = await sitemapUrls(f, [`${origin}/sitemap_index.xml`, `${origin}/docs/sitemap-2.xml`], opts);
  t.same(pages.sort(), [`${origin}/docs/a`, `${origin}/docs/b`, `${origin}/docs/c`, `${origin}/docs/d`]);
  t.equal(hits.get('/docs/sitemap-1.xml'), 1, 'a sitemap listed twice is fetched once');
  t.equal(hits.get('/docs/sitemap-2.xml'), 1);
  t.equal(hits.get('/sitemap_index.xml'), 1, 'an index listing itself is not fetched again');

  const two = await sitemapUrls(f, [`${origin}/sitemap_index.xml`], { ...opts, limit: 2 });
  t.same(two, [`${origin}/docs/a`, `${origin}/docs/b`], 'the limit');
  t.equal(hits.get('/docs/sitemap-2.xml'), 1, 'no sitemap fetched once the limit is reached');

  t.same(await sitemapUrls(f, [`${origin}/missing.xml`, `${origin}/docs/page`], opts), [], 'not sitemaps: none');
  t.same(defaultSitemaps(scope, []), [`${origin}/sitemap.xml`, `${origin}/docs/sitemap.xml`]);
  t.same(defaultSitemaps(crawlScope(`${origin}/`, [], []), []), [`${origin}/sitemap.xml`]);
  t.same(defaultSitemaps(scope, [`${origin}/s.xml`]), [`${origin}/s.xml`], 'robots.txt names them');
});
