// A site's robots.txt, read the way the crawler obeys it: pages disallowed for `docs-chat` (or, without a group
// of its own, for `*`) are not fetched, and the sitemaps it names seed the crawl. No robots.txt allows all.
import robotsModule from 'robots-parser';
import type { Fetcher } from './fetch.js';

// The package's types declare an ES default export; at run time the module itself is the function.
const robotsParser = robotsModule as unknown as typeof robotsModule.default;

export const ROBOTS_AGENT = 'docs-chat';

export type Robots = { allowed(url: string): boolean; sitemaps: string[] };

/** The rules of `robotsUrl`'s text for the crawler; null text (no robots.txt) allows everything. */
export function parseRobots(robotsUrl: string, text: string | null): Robots {
  if (text === null) return { allowed: () => true, sitemaps: [] };
  const robots = robotsParser(robotsUrl, text);
  return {
    // undefined means another origin than robots.txt's: not for these rules to refuse.
    allowed: (url) => robots.isAllowed(url, ROBOTS_AGENT) !== false,
    sitemaps: robots.getSitemaps(),
  };
}

/**
 * The text of the origin's robots.txt, or null when there is none (404, an error, not text). Its redirects may
 * lead anywhere (http to https, another host): the address guard still applies.
 */
export async function fetchRobots(fetcher: Fetcher, origin: string): Promise<string | null> {
  const fetched = await fetcher.fetch(`${origin}/robots.txt`, { inScope: () => true });
  return fetched.kind === 'page' && fetched.contentType === 'text/plain' ? fetched.body : null;
}
