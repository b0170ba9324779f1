// A website crawl as jobs: sources__crawl reads robots.txt and the sitemaps, reaches the seeds and starts
// CRAWL_CONCURRENCY lane jobs; each lane (sources__crawl_lane) takes the crawl's pending pages one after
// another (fetch, extract, index, reach its links; each page written in its own transaction); the lane that
// finds nothing of the crawl left unchecked adds sources__finish, which drops the pages the crawl did not reach.
// Every step first checks that its crawl is still the source's: deleting a source (or its project) stops it.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { completeCrawl, deleteUnreached } from '../db/queries/crawl-end.js';
import { contentDigest, writeFile, writePage, type PageWrite } from '../db/queries/crawl-pages.js';
import { claimPage, pageToIndex, type PageToIndex } from '../db/queries/pages-to-index.js';
import { continueLane, crawlSource, finishIfDone, markRunning } from '../db/queries/crawl.js';
import { reachSeeds, type Reach } from '../db/queries/crawl-reach.js';
import type { TaskDeps } from '../jobs/task.js';
import { pgCode } from '../db/pg-errors.js';
import { chunkDocument } from './chunk.js';
import type { ContentType } from './extract.js';
import { fetchPage, indexText, type PageOutcome } from './index-page.js';
import { fetchRobots, parseRobots, type Robots } from './robots.js';
import { defaultSitemaps, sitemapUrls } from './sitemap.js';
import { crawlScope, documentPath, normaliseUrl, type Scope } from './urls.js';

export type CrawlDeps = Pick<TaskDeps, 'db' | 'config' | 'fetcher'>;

// Documents of an ended crawl deleted per transaction (their chunks go with them).
const UNREACHED_PER_BATCH = 500;
// A lane job hands its worker slot back after this long (queueing its next turn), so that other background
// work and other sources' crawls get their turn during a long crawl.
const LANE_TURN_MS = 30_000;
// A lane with nothing to take while other lanes still fetch waits this long before looking again.
const LANE_IDLE_MS = 50;

/** The URLs as documents to reach: normalised, in scope (the start URL always), each path once. */
export function toReach(urls: string[], scope: Scope, robots: Robots, start?: string): Reach[] {
  const byPath = new Map<string, Reach>();
  for (const raw of urls) {
    const url = normaliseUrl(raw);
    if (!url || (url !== start && !scope.contains(url))) continue;
    const path = documentPath(url);
    if (!byPath.has(path)) byPath.set(path, { path, url, allowed: robots.allowed(url) });
  }
  return [...byPath.values()];
}

const robotsOf = (scope: Scope, text: string | null) => parseRobots(`${scope.origin}/robots.txt`, text);

/** sources__crawl: robots.txt, the sitemaps, and the seeds reached (the start URL first). */
export async function startCrawlJob(
  { db, config, fetcher }: CrawlDeps,
  p: { sourceId: string; crawlId: string },
  log: Logger,
): Promise<void> {
  const source = await crawlSource(db, p.sourceId, p.crawlId);
  if (!source) return void log.info({ source_id: p.sourceId }, 'crawl: stale, nothing to do');
  const start = normaliseUrl(source.url) ?? source.url;
  const scope = crawlScope(start, source.include, source.exclude);
  const robotsText = await fetchRobots(fetcher, scope.origin);
  await markRunning(db, p.sourceId, p.crawlId, robotsText);
  const robots = robotsOf(scope, robotsText);
  const sitemaps = defaultSitemaps(scope, robots.sitemaps);
  let listed: string[] = [];
  try {
    listed = await sitemapUrls(fetcher, sitemaps, { inScope: (u) => scope.contains(u), limit: source.maxPages });
  } catch (err) {
    // A sitemap is a hint: the links from the start URL still find the site.
    log.error({ err, source_id: p.sourceId }, 'crawl: sitemaps could not be read');
  }
  const seeds = toReach([start, ...listed], scope, robots, start);
  const r = await reachSeeds(db, { ...p, pages: seeds, lanes: config.CRAWL_CONCURRENCY });
  log.info({ source_id: p.sourceId, robots: robotsText !== null, listed: listed.length, ...r }, 'crawl started');
}

/** A website's page: fetch, index, reach its links; once per page per crawl. */
async function indexWebPage({ db, fetcher }: CrawlDeps, doc: PageToIndex, crawlId: string, log: Logger): Promise<void> {
  const stale = doc.source.crawlId !== crawlId || doc.crawlId !== crawlId || doc.checkedCrawlId === crawlId;
  if (stale || !doc.source.url || !doc.url) return void log.debug({ document_id: doc.id }, 'index: stale page job');
  const scope = crawlScope(doc.source.url, doc.source.include, doc.source.exclude);
  let outcome: PageOutcome;
  try {
    outcome = await fetchPage(fetcher, doc, scope);
  } catch (err) {
    // The page's text broke the extraction: its fault, recorded as such (a retry would break the same way).
    log.error({ err, document_id: doc.id, url: doc.url }, 'index: page could not be read');
    outcome = { write: { kind: 'failed', reason: 'could not be read', gone: false }, next: doc.links ?? [] };
  }
  const reach = toReach(outcome.next, scope, robotsOf(scope, doc.source.robots));
  const write = (w: PageWrite) => writePage(db, { doc, crawlId, write: w, reach });
  const r = await write(outcome.write).catch((err: unknown) => {
    // Text the database refuses (a data exception) would fail every retry and leave the crawl unfinished.
    if (!pgCode(err)?.startsWith('22')) throw err;
    log.error({ err, document_id: doc.id, url: doc.url }, 'index: page could not be stored');
    return write({ kind: 'failed', reason: 'could not be stored', gone: false });
  });
  const reason = 'reason' in outcome.write ? outcome.write.reason : undefined;
  log.debug({ document_id: doc.id, url: doc.url, outcome: outcome.write.kind, reason, ...r }, 'index: page checked');
}

/** sources__index_page for an uploaded file: its text indexed, unless unchanged. */
async function indexFile({ db }: CrawlDeps, doc: PageToIndex, log: Logger) {
  if (doc.content === null) return;
  const contentType = (doc.contentType ?? 'text/plain') as ContentType;
  let write: PageWrite;
  try {
    const r = indexText(doc, contentType, doc.content, { url: doc.url, title: doc.title, fallbackTitle: doc.path });
    write = r.unchanged
      ? { kind: 'unchanged' }
      : {
          kind: 'indexed',
          title: r.title,
          contentHash: r.hash,
          etag: null,
          lastModified: null,
          links: [],
          chunks: chunkDocument(r.extracted, doc.url),
        };
  } catch (err) {
    log.error({ err, document_id: doc.id }, 'index: file could not be read');
    write = { kind: 'failed', reason: 'could not be read', gone: false };
  }
  const written = await writeFile(db, { doc, digest: contentDigest(doc.content), write });
  log.debug({ document_id: doc.id, outcome: write.kind, written }, 'index: file checked');
}

/**
 * sources__crawl_lane: takes the crawl's pending pages one at a time until none is left, waiting while the
 * other lanes still hold pages (their links may reach more), then adds the crawl's finish; after its turn, or
 * when the worker stops, it queues its next turn. A page taken by a lane whose worker was killed goes to the
 * next lane that looks.
 */
export async function crawlLaneJob(
  deps: CrawlDeps,
  p: { sourceId: string; crawlId: string; jobId: string },
  log: Logger,
  stopping?: AbortSignal,
): Promise<void> {
  const until = Date.now() + LANE_TURN_MS;
  let pages = 0;
  for (;;) {
    if (Date.now() > until || stopping?.aborted) {
      await continueLane(deps.db, p.sourceId, p.crawlId);
      break;
    }
    const next = await claimPage(deps.db, p);
    if (next.page) {
      await indexWebPage(deps, next.page, p.crawlId, log);
      pages++;
    } else if (next.waiting) await sleep(LANE_IDLE_MS);
    else {
      await finishIfDone(deps.db, p.sourceId, p.crawlId);
      break;
    }
  }
  log.debug({ source_id: p.sourceId, pages }, 'crawl: lane turn over');
}

/**
 * sources__index_page: an uploaded file. A crawled page's job, queued before crawls ran in lanes, works as one
 * more lane of its crawl (so that crawl still finishes).
 */
export async function indexPageJob(
  deps: CrawlDeps,
  p: { sourceId: string; documentId: string; crawlId: string | null; jobId: string },
  log: Logger,
  stopping?: AbortSignal,
): Promise<void> {
  const doc = await pageToIndex(deps.db, p.sourceId, p.documentId);
  if (!doc) return void log.debug({ document_id: p.documentId }, 'index: document or source gone');
  if (doc.type === 'files') return indexFile(deps, doc, log);
  if (p.crawlId) return crawlLaneJob(deps, { sourceId: p.sourceId, crawlId: p.crawlId, jobId: p.jobId }, log, stopping);
}

/** sources__finish: the pages this crawl did not reach leave the index; the source is ready (or failed). */
export async function finishCrawlJob(
  { db }: CrawlDeps,
  p: { sourceId: string; crawlId: string },
  log: Logger,
): Promise<void> {
  const source = await crawlSource(db, p.sourceId, p.crawlId);
  if (!source) return void log.info({ source_id: p.sourceId }, 'crawl finish: stale, nothing to do');
  let removed = 0;
  let n: number;
  do {
    n = await deleteUnreached(db, p.sourceId, p.crawlId, UNREACHED_PER_BATCH);
    removed += n;
  } while (n === UNREACHED_PER_BATCH);
  const startPath = documentPath(normaliseUrl(source.url) ?? source.url);
  const r = await completeCrawl(db, { ...p, startPath });
  log.info({ source_id: p.sourceId, removed, ...r }, 'crawl finished');
}
