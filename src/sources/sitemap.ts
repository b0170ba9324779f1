// The pages a site lists in its sitemaps: they seed a crawl, so pages no link reaches are found too. Sitemap
// indexes are followed a few levels deep; only page URLs in the source's scope come back, at most `limit`.
import { XMLParser } from 'fast-xml-parser';
import type { Fetcher } from './fetch.js';
import type { Scope } from './urls.js';
import { normaliseUrl } from './urls.js';

const MAX_DEPTH = 3; // a sitemap index listing sitemap indexes listing sitemaps
const MAX_SITEMAPS = 50; // sitemaps fetched per crawl: an index may list thousands

const parser = new XMLParser({
  ignoreAttributes: true,
  removeNSPrefix: true,
  parseTagValue: false,
  isArray: (name) => name === 'url' || name === 'sitemap',
});

type Entry = { loc?: unknown };
type SitemapXml = { urlset?: { url?: Entry[] }; sitemapindex?: { sitemap?: Entry[] } };

const locs = (entries: Entry[] | undefined) =>
  (entries ?? []).map((e) => e.loc).filter((loc): loc is string => typeof loc === 'string');

/** The parsed sitemap, or null for text that is not XML. */
function parse(text: string): SitemapXml | null {
  try {
    return parser.parse(text) as SitemapXml;
  } catch {
    return null;
  }
}

/** Where to look for sitemaps when robots.txt names none: the site's root and the source's directory. */
export function defaultSitemaps(scope: Scope, named: string[]): string[] {
  if (named.length > 0) return named;
  return [...new Set([`${scope.origin}/sitemap.xml`, `${scope.directory}sitemap.xml`])];
}

/**
 * The normalised in-scope page URLs of the given sitemaps (and of the sitemaps their indexes list, each fetched
 * once), in their order, at most `limit`. A sitemap that fails or is not XML is passed over.
 */
export async function sitemapUrls(
  fetcher: Fetcher,
  sitemaps: string[],
  opts: { inScope(url: string): boolean; limit: number },
): Promise<string[]> {
  const pages = new Set<string>();
  const seen = new Set<string>();
  const queue = sitemaps.map((url) => ({ url: normaliseUrl(url), depth: 1 }));
  for (let i = 0; i < queue.length && pages.size < opts.limit && seen.size < MAX_SITEMAPS; i++) {
    const { url, depth } = queue[i];
    if (!url || seen.has(url)) continue;
    seen.add(url);
    const fetched = await fetcher.fetch(url, { inScope: () => true, xml: true });
    const xml = fetched.kind === 'page' ? parse(fetched.body) : null;
    if (!xml) continue;
    for (const loc of locs(xml.urlset?.url)) {
      if (pages.size >= opts.limit) break;
      const page = normaliseUrl(loc, url);
      if (page && opts.inScope(page)) pages.add(page);
    }
    if (depth < MAX_DEPTH)
      for (const loc of locs(xml.sitemapindex?.sitemap)) queue.push({ url: normaliseUrl(loc, url), depth: depth + 1 });
  }
  return [...pages];
}
