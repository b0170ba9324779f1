// What one fetch of a page comes to: indexed (its chunks), unchanged (a 304, or the same text: no extraction
// or indexing beyond the hash), skipped or failed with the reason in words, and the URLs it leads to.
import { createHash } from 'node:crypto';
import type { PageWrite } from '../db/queries/crawl-pages.js';
import type { PageToIndex } from '../db/queries/pages-to-index.js';
import { chunkDocument, contentHash } from './chunk.js';
import { extract, type ContentType } from './extract.js';
import type { Fetcher } from './fetch.js';
import { normaliseUrl, type Scope } from './urls.js';

/** The page's result and the URLs (absolute, not yet checked against robots.txt) the crawl goes on to. */
export type PageOutcome = { write: PageWrite; next: string[] };

/** A page's links, normalised, in scope, each once. */
export function scopedLinks(links: string[], base: string, scope: Scope): string[] {
  const seen = new Set<string>();
  for (const raw of links) {
    const url = normaliseUrl(raw, base);
    if (url && scope.contains(url)) seen.add(url);
  }
  return [...seen];
}

/**
 * Extracts and chunks a text, or says it is unchanged (same hash as the one indexed). Throws only on a bug
 * of the extraction; the caller records that as the page's failure.
 */
export function indexText(
  doc: Pick<PageToIndex, 'contentHash'>,
  contentType: ContentType,
  body: string,
  opts: {
    url: string | null;
    title: string | null;
    fallbackTitle: string;
    validators?: { etag: string | null; lastModified: string | null };
  },
) {
  const read = extract(contentType, body, { url: opts.url, fallbackTitle: opts.fallbackTitle });
  // A file's given title names its chunks too (they are what search and citations show); the title and the
  // URL the chunks carry are in the hash, so a new title or URL with the same text indexes it again.
  const extracted = { ...read, title: opts.title ?? read.title };
  const hash = createHash('sha256')
    .update(JSON.stringify([contentHash(extracted), opts.url]))
    .digest('hex');
  const title = extracted.title;
  const validators = opts.validators ?? { etag: null, lastModified: null };
  const unchanged = doc.contentHash === hash;
  return { extracted, hash, title, unchanged, validators };
}

/** Fetches a website page (conditionally when it was indexed before) and works out its outcome. */
export async function fetchPage(fetcher: Fetcher, doc: PageToIndex, scope: Scope): Promise<PageOutcome> {
  const url = doc.url!;
  const indexedBefore = doc.contentHash !== null;
  const fetched = await fetcher.fetch(url, {
    etag: indexedBefore ? doc.etag : null,
    lastModified: indexedBefore ? doc.lastModified : null,
    inScope: (u) => scope.contains(u),
  });
  const stored = doc.links ?? [];
  switch (fetched.kind) {
    case 'not-modified':
      return { write: { kind: 'unchanged' }, next: stored };
    case 'skipped':
      return { write: { kind: 'skipped', reason: fetched.reason }, next: [] };
    case 'failed':
      // A page down for now still leads where it led: the pages under it are not dropped from the index.
      return {
        write: { kind: 'failed', reason: fetched.reason, gone: fetched.gone },
        next: fetched.gone ? [] : stored,
      };
    case 'page':
      break;
  }
  if (fetched.url !== url) {
    // Redirected within the site: the page is indexed under the URL it lives at, reached like a link.
    return { write: { kind: 'skipped', reason: `redirected to ${fetched.url}` }, next: [fetched.url] };
  }
  const r = indexText(doc, fetched.contentType, fetched.body, {
    url,
    title: null,
    fallbackTitle: doc.path,
    validators: fetched,
  });
  const links = scopedLinks(r.extracted.links, url, scope);
  if (r.extracted.noindex) return { write: { kind: 'skipped', reason: 'noindex', links }, next: links };
  const canonical = r.extracted.canonical ? normaliseUrl(r.extracted.canonical, url) : null;
  // Only a canonical URL this crawl indexes itself makes the page a duplicate: one outside the source's scope
  // (another version's directory, say) would leave the text indexed nowhere.
  if (canonical && canonical !== url && scope.contains(canonical)) {
    return {
      write: { kind: 'skipped', reason: `duplicate of its canonical URL ${canonical}`, links },
      next: [canonical, ...links],
    };
  }
  const { etag, lastModified } = r.validators;
  if (r.unchanged) return { write: { kind: 'unchanged', etag, lastModified, links }, next: links };
  return {
    write: {
      kind: 'indexed',
      title: r.title,
      contentHash: r.hash,
      etag,
      lastModified,
      links,
      chunks: chunkDocument(r.extracted, url),
    },
    next: links,
  };
}
