// Fetches the pages of a documentation site for the crawler: one keep-alive connection pool per worker
// process, every connection checked against the address guard (a site's links and redirects are the customer's
// to choose, the service's own network is not), redirects followed by hand so each hop is checked for scope and
// address, one deadline over the whole fetch and a size cap, and every outcome a value (never a throw) with a
// reason in words the documents list can show.
import { pipeline, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, request, type Dispatcher } from 'undici';
import { AddressRefused, guardRequest, guardedLookup } from '../net/address-guard.js';
import { failureReason } from '../net/failure-reason.js';
import { normaliseUrl } from './urls.js';

export type PageType = 'text/html' | 'text/markdown' | 'text/plain';

export type Fetched =
  | { kind: 'page'; url: string; contentType: PageType; body: string; etag: string | null; lastModified: string | null }
  | { kind: 'not-modified'; url: string }
  | { kind: 'skipped'; url: string; reason: string }
  | { kind: 'failed'; url: string; reason: string; gone: boolean };

export type FetchOptions = {
  /** Validators of the copy we hold: sent as If-None-Match / If-Modified-Since, a 304 answers not-modified. */
  etag?: string | null;
  lastModified?: string | null;
  /** Where a redirect may lead; a redirect elsewhere is skipped. */
  inScope: (url: string) => boolean;
  /** Also read XML answers (sitemaps): their body comes back as a text/plain page. */
  xml?: boolean;
};

export interface Fetcher {
  fetch(url: string, opts: FetchOptions): Promise<Fetched>;
  close(): Promise<void>;
}

const MAX_REDIRECTS = 5;
const MB = 1024 * 1024;

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | null => {
  const value = headers[name];
  return (Array.isArray(value) ? value[0] : value) ?? null;
};

type Body = Dispatcher.ResponseData['body'];

/** Drops an answer's body unread: its connection closes (destroying a body emits an error nobody must see). */
const discard = (body: Body) => body.on('error', () => {}).destroy();

const size = (bytes: number) =>
  bytes % MB === 0 ? `${bytes / MB} MB` : bytes % 1024 === 0 ? `${bytes / 1024} KB` : `${bytes} bytes`;

/** The page type of a Content-Type (charset ignored), or null for a type the crawler does not read. */
function pageType(mediaType: string, url: string, xml: boolean): PageType | null {
  if (mediaType === 'text/html' || mediaType === 'application/xhtml+xml') return 'text/html';
  if (mediaType === 'text/markdown' || mediaType === 'text/x-markdown') return 'text/markdown';
  // Raw files of code hosts come as text/plain: the extension tells markdown apart.
  if (mediaType === 'text/plain')
    return /\.(md|markdown)$/i.test(new URL(url).pathname) ? 'text/markdown' : 'text/plain';
  if (xml && (mediaType === 'application/xml' || mediaType === 'text/xml' || mediaType.endsWith('+xml')))
    return 'text/plain';
  return null;
}

/** The type of an answer without a Content-Type: a `.md` path is markdown, markup is HTML, the rest text. */
function sniff(url: string, body: string): PageType {
  if (/\.(md|markdown)$/i.test(new URL(url).pathname)) return 'text/markdown';
  return body.trimStart().startsWith('<') ? 'text/html' : 'text/plain';
}

/** Bodies are UTF-8 unless the answer says latin1 (old sites still do). */
function decode(bytes: Buffer, contentType: string): string {
  const charset = /;\s*charset="?([^";\s]+)/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset === 'iso-8859-1' || charset === 'latin1' || charset === 'latin-1') return bytes.toString('latin1');
  return new TextDecoder('utf-8').decode(bytes);
}

const DECOMPRESSORS = new Map<string, () => Transform>([
  ['gzip', createGunzip],
  ['x-gzip', createGunzip],
  ['deflate', createInflate],
  ['br', createBrotliDecompress],
]);

/**
 * The body's bytes, decompressed, or null past `maxBytes` (counted after decompression: a small compressed
 * answer may inflate to any size). The body is then dropped unread.
 */
async function readBody(body: Body, encoding: string | null, maxBytes: number): Promise<Buffer | null> {
  const decompress = DECOMPRESSORS.get(encoding?.trim().toLowerCase() ?? '');
  // pipeline passes a failure of either stream (the deadline's abort included) to the one read here.
  const stream: AsyncIterable<Buffer> = decompress ? pipeline(body, decompress(), () => {}) : body;
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of stream) {
    length += chunk.length;
    if (length > maxBytes) {
      discard(body);
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

export function createFetcher(opts: {
  allowPrivate: boolean;
  timeoutMs: number;
  maxBytes?: number;
  userAgent?: string;
}): Fetcher {
  const { allowPrivate, timeoutMs, maxBytes = 5 * MB, userAgent = 'docs-chat' } = opts;
  // The lookup refuses names resolving to a non-public address as each connection opens; guardRequest refuses
  // addresses written as such (connected to without a lookup).
  const agent = new Agent({ keepAliveTimeout: 10_000, connect: allowPrivate ? {} : { lookup: guardedLookup } });

  async function fetchPage(first: string, o: FetchOptions): Promise<Fetched> {
    const deadline = AbortSignal.timeout(timeoutMs);
    let url = first;
    try {
      for (let redirects = 0; ; redirects++) {
        guardRequest(new URL(url), allowPrivate);
        const headers: Record<string, string> = {
          'user-agent': userAgent,
          accept: 'text/html, text/markdown;q=0.9, text/plain;q=0.8, */*;q=0.1',
          'accept-encoding': 'gzip, br',
        };
        if (o.etag) headers['if-none-match'] = o.etag;
        if (o.lastModified) headers['if-modified-since'] = o.lastModified;
        const res = await request(url, { dispatcher: agent, headers, signal: deadline });
        const status = res.statusCode;
        const location = header(res.headers, 'location');
        if (status >= 300 && status < 400 && status !== 304 && location) {
          await res.body.dump().catch(() => {});
          if (redirects === MAX_REDIRECTS) return { kind: 'failed', url, reason: 'too many redirects', gone: false };
          const next = normaliseUrl(location, url);
          if (!next || !o.inScope(next))
            return { kind: 'skipped', url, reason: `redirected out of scope to ${next ?? location}` };
          url = next;
          continue;
        }
        if (status === 304) {
          await res.body.dump().catch(() => {});
          return { kind: 'not-modified', url };
        }
        if (status < 200 || status >= 300) {
          await res.body.dump().catch(() => {});
          return { kind: 'failed', url, reason: `HTTP ${status}`, gone: status === 404 || status === 410 };
        }
        const contentType = header(res.headers, 'content-type') ?? '';
        const mediaType = contentType.split(';')[0].trim().toLowerCase();
        const type = mediaType ? pageType(mediaType, url, o.xml ?? false) : null;
        if (mediaType && !type) {
          discard(res.body);
          return { kind: 'skipped', url, reason: `not HTML, markdown or text (${mediaType})` };
        }
        const tooLarge = { kind: 'skipped', url, reason: `too large (over ${size(maxBytes)})` } as const;
        if (Number(header(res.headers, 'content-length') ?? 0) > maxBytes) {
          discard(res.body);
          return tooLarge;
        }
        const bytes = await readBody(res.body, header(res.headers, 'content-encoding'), maxBytes);
        if (!bytes) return tooLarge;
        const body = decode(bytes, contentType);
        return {
          kind: 'page',
          url,
          contentType: type ?? sniff(url, body),
          body,
          etag: header(res.headers, 'etag'),
          lastModified: header(res.headers, 'last-modified'),
        };
      }
    } catch (err) {
      if (err instanceof AddressRefused) return { kind: 'skipped', url, reason: `refused address: ${err.detail}` };
      // The deadline is the request's only abort signal: whatever it interrupted, it is a time-out.
      const reason = failureReason(deadline.aborted ? deadline.reason : err, timeoutMs) ?? 'request failed';
      return { kind: 'failed', url, reason, gone: false };
    }
  }

  return { fetch: fetchPage, close: () => agent.close() };
}
