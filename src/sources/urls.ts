// The crawler's idea of "the same page" and "part of this site": one spelling per URL (so a page reached by
// two links is fetched once and stored once) and the part of a site a source covers (its start URL's
// directory, narrowed by include prefixes, minus exclude prefixes).

// Characters a URL never needs to percent-encode: %41 and A are the same URL, written one way here.
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** Decodes percent-encoded unreserved characters and uppercases the hex of the others. */
function normalisePercents(s: string): string {
  return s.replace(/%([0-9a-fA-F]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(char) ? char : `%${hex.toUpperCase()}`;
  });
}

/**
 * The one spelling of a link: resolved against `base`, http(s) only (else null), without its fragment, with a
 * lowercase scheme and host, no default port and percent-encoding normalised; the query is kept.
 */
export function normaliseUrl(raw: string, base?: string): string | null {
  const url = URL.parse(raw.trim(), base);
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) return null;
  url.hash = '';
  url.pathname = normalisePercents(url.pathname);
  // An empty query ("page?") is the page itself; assigning '' drops the lone "?".
  url.search = url.search ? normalisePercents(url.search) : '';
  return url.href;
}

/** A website document's path: the URL's pathname and query. */
export function documentPath(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

export type Scope = {
  /** The start URL's origin, e.g. `https://x.dev`. */
  origin: string;
  /** The start URL's directory, e.g. `https://x.dev/docs/` for `https://x.dev/docs/index.html`. */
  directory: string;
  /** Whether a URL (any spelling) is part of the source. */
  contains(url: string): boolean;
};

/**
 * The part of a site a source covers: same origin as the start URL and under its directory; `include`
 * prefixes (absolute like `/docs/api/`, or relative to the directory like `api/`) narrow it when given, and
 * `exclude` prefixes remove from it.
 */
export function crawlScope(startUrl: string, include: string[], exclude: string[]): Scope {
  const start = normaliseUrl(startUrl);
  if (!start) throw new Error(`not an http(s) URL: ${startUrl}`);
  const { origin, pathname } = new URL(start);
  const directory = origin + pathname.slice(0, pathname.lastIndexOf('/') + 1);
  const dirPath = new URL(directory).pathname;
  // Resolving a prefix against the directory handles both forms and spells it as normalised paths are.
  const prefixes = (list: string[]) =>
    list
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .map((p) => {
        const url = normaliseUrl(p, directory);
        return url ? new URL(url).pathname : null;
      })
      .filter((p): p is string => p !== null);
  const included = prefixes(include);
  const excluded = prefixes(exclude);
  return {
    origin,
    directory,
    contains(raw) {
      const url = normaliseUrl(raw);
      if (!url) return false;
      const parsed = new URL(url);
      if (parsed.origin !== origin || !parsed.pathname.startsWith(dirPath)) return false;
      if (included.length > 0 && !included.some((p) => parsed.pathname.startsWith(p))) return false;
      return !excluded.some((p) => parsed.pathname.startsWith(p));
    },
  };
}
