import { sql, type SQL } from 'drizzle-orm';
import { rows, type DbOrTx } from '../client.js';
import { crawlJob, crawlLaneJob, finishCrawlJob } from '../../jobs/specs.js';

// The SQL of crawling and indexing. A crawl is named by the source's `crawl_id`: a page job whose crawl is no
// longer the source's (deleted, restarted) does nothing. Reaching pages new to the crawl holds the source's row
// lock, so that reaches happen one after another (a crawl reaches at most max_pages); checking a page holds only
// the page's row. A lane that finds nothing of the crawl left unchecked adds the finish job.

export const uuid = (id: string) => sql`${id}::uuid`;

/** Restarts the crawls of the sources `which` selects (a condition on `sources`): see startCrawl. */
function restartCrawls(db: DbOrTx, which: SQL) {
  return rows<{ id: string }>(
    db,
    sql`
    with s as (
      update sources set crawl_id = gen_random_uuid(), status = 'queued', error = null, crawl_started_at = now()
      where ${which}
      returning id, crawl_id
    )
    select s.id, ${crawlJob(sql`s.id`, sql`s.crawl_id`)} from s`,
  );
}

/**
 * Starts a new crawl of a website source in the caller's transaction: a fresh crawl id (page jobs of an
 * earlier crawl become stale and do nothing), status queued, and the crawl's job, keyed by the source.
 */
export async function startCrawl(db: DbOrTx, sourceId: string): Promise<void> {
  await restartCrawls(db, sql`id = ${sourceId}::uuid and deleted_at is null`);
}

/** Starts a crawl of every website source of a live project whose refresh is due; returns their ids. */
const ABANDONED_AFTER = sql`interval '1 day'`;

export async function startDueCrawls(db: DbOrTx, limit: number): Promise<string[]> {
  const started = await restartCrawls(
    db,
    sql`id in (
      select s.id from sources s join projects p on p.id = s.project_id
      where s.deleted_at is null and p.deleted_at is null and s.type = 'website'
        and (s.next_refresh_at <= now() and s.status not in ('queued', 'running')
          -- A crawl still going a day after it started has lost a job for good (its attempts spent through
          -- a long outage): it starts over, and the jobs of the old crawl do nothing.
          or s.status in ('queued', 'running') and s.crawl_started_at < now() - ${ABANDONED_AFTER})
      order by coalesce(s.next_refresh_at, s.crawl_started_at) limit ${limit}
      for update of s skip locked)`,
  );
  return started.map((r) => r.id);
}

export type CrawlSource = {
  id: string;
  projectId: string;
  url: string;
  include: string[];
  exclude: string[];
  maxPages: number;
  robots: string | null;
};

const SOURCE_COLUMNS = sql`s.id, s.project_id as "projectId", s.url, to_json(s.include) as include,
  to_json(s.exclude) as exclude, s.max_pages as "maxPages", s.robots`;
export const LIVE = sql`s.deleted_at is null and exists (select 1 from projects p where p.id = s.project_id and p.deleted_at is null)`;

/** The website source whose current crawl is `crawlId`, still to do (queued or running); null when stale. */
export async function crawlSource(db: DbOrTx, sourceId: string, crawlId: string): Promise<CrawlSource | null> {
  const [s] = await rows<CrawlSource>(
    db,
    sql`select ${SOURCE_COLUMNS} from sources s
        where s.id = ${sourceId} and s.crawl_id = ${crawlId} and s.type = 'website'
          and s.status in ('queued', 'running') and ${LIVE}`,
  );
  return s ?? null;
}

/** The crawl begins: status running, and the robots.txt every page job of this crawl obeys. */
export async function markRunning(db: DbOrTx, sourceId: string, crawlId: string, robots: string | null) {
  await rows(
    db,
    sql`update sources set status = 'running', robots = ${robots}
        where id = ${sourceId} and crawl_id = ${crawlId} and status in ('queued', 'running')`,
  );
}

/**
 * Adds the finish job when the crawl still runs and no page it reached is left unchecked. The job is keyed by
 * the source: lanes that find the crawl done at the same moment add it once (a second run, if one lane adds it
 * while the first runs, finds the crawl ended and does nothing).
 */
export async function finishIfDone(db: DbOrTx, sourceId: string, crawlId: string): Promise<boolean> {
  const added = await rows(
    db,
    sql`select ${finishCrawlJob(uuid(sourceId), uuid(crawlId))} from sources
        where id = ${sourceId} and crawl_id = ${crawlId} and status in ('queued', 'running') and not exists (
          select 1 from documents where source_id = ${sourceId} and crawl_id = ${crawlId}
            and checked_crawl_id is distinct from ${crawlId})`,
  );
  return added.length > 0;
}

/** Locks a live source's row if `crawlId` is still its crawl; its bookkeeping columns, or null when stale. */
export async function lockCrawl(tx: DbOrTx, sourceId: string, crawlId: string) {
  const [s] = await rows<{ id: string; projectId: string; maxPages: number }>(
    tx,
    sql`select s.id, s.project_id as "projectId", s.max_pages as "maxPages" from sources s
        where s.id = ${sourceId} and s.crawl_id = ${crawlId} and ${LIVE} for update of s`,
  );
  return s ?? null;
}

/** Queues a lane's next turn (see crawlLaneJob). */
export async function continueLane(db: DbOrTx, sourceId: string, crawlId: string) {
  await rows(db, sql`select ${crawlLaneJob(uuid(sourceId), uuid(crawlId))}`);
}
