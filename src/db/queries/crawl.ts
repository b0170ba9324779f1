import { sql, type SQL } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';
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

/** A URL a page links to (or a seed), normalised and in scope; `allowed`: robots.txt lets us fetch it. */
export type Reach = { path: string; url: string; allowed: boolean };

/**
 * Stamps the pages with the crawl (new ones inserted), at most `maxPages` per crawl: the crawl's lanes take
 * those to fetch; robots-disallowed pages are recorded as skipped, with no fetch (and no chunks). Runs under
 * the source's row lock (see lockCrawl). Returns the number of pages to fetch.
 */
export async function reach(
  tx: DbOrTx,
  s: { id: string; projectId: string; maxPages: number },
  crawlId: string,
  pages: Reach[],
): Promise<number> {
  if (pages.length === 0) return 0;
  const input = JSON.stringify(pages.map((p, ord) => ({ ...p, ord })));
  const [r] = await rows<{ pages: number }>(
    tx,
    sql`
    with input as (
      select * from json_to_recordset(${input}::json) as u(path text, url text, allowed boolean, ord int)
    ),
    reached as (select count(*)::int as n from documents where source_id = ${s.id} and crawl_id = ${crawlId}),
    fresh as (
      select i.* from input i
      where not exists (select 1 from documents d where d.source_id = ${s.id} and d.path = i.path and d.crawl_id = ${crawlId})
      order by i.ord limit greatest(${s.maxPages}::int - (select n from reached), 0)
    ),
    up as (
      insert into documents as d (source_id, project_id, path, url, crawl_id, status, reason, checked_crawl_id)
      select ${uuid(s.id)}, ${uuid(s.projectId)}, f.path, f.url, ${uuid(crawlId)},
        (case when f.allowed then 'queued' else 'skipped' end)::document_status,
        case when f.allowed then null else 'disallowed by robots.txt' end,
        case when f.allowed then null else ${uuid(crawlId)} end
      from fresh f
      on conflict (source_id, path) do update set crawl_id = excluded.crawl_id, url = excluded.url,
        checked_crawl_id = excluded.checked_crawl_id, updated_at = now(),
        status = case when excluded.status = 'skipped' then excluded.status else d.status end,
        reason = case when excluded.status = 'skipped' then excluded.reason else d.reason end,
        chunks = case when excluded.status = 'skipped' then 0 else d.chunks end,
        content_hash = case when excluded.status = 'skipped' then null else d.content_hash end
      where d.crawl_id is distinct from excluded.crawl_id
      returning d.id, d.checked_crawl_id is null as to_fetch
    ),
    dropped as (delete from chunks where document_id in (select id from up where not to_fetch))
    select count(*)::int as pages from up where to_fetch`,
  );
  return r.pages;
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

/**
 * Reaches a checked page's links (see reach). On a refresh, and for most links of a first crawl, every one is
 * a page the crawl has reached already: that is seen without the source's lock, so lanes checking pages do not
 * wait for each other; a link new to the crawl takes the lock and reaches.
 */
export async function reachLinks(tx: DbOrTx, sourceId: string, crawlId: string, pages: Reach[]): Promise<number> {
  if (pages.length === 0) return 0;
  const [{ fresh }] = await rows<{ fresh: boolean }>(
    tx,
    sql`select exists (
          select 1 from json_array_elements_text(${JSON.stringify(pages.map((p) => p.path))}::json) as p(path)
          where not exists (select 1 from documents d where d.source_id = ${sourceId} and d.path = p.path
            and d.crawl_id = ${crawlId})) as fresh`,
  );
  if (!fresh) return 0;
  const s = await lockCrawl(tx, sourceId, crawlId);
  return s ? reach(tx, s, crawlId, pages) : 0;
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

/** The crawl's seeds: reaches them (see reach), starts its `lanes` lane jobs, or finishes at once if none is to fetch. */
export async function reachSeeds(
  db: Db,
  p: { sourceId: string; crawlId: string; pages: Reach[]; lanes: number },
): Promise<{ pages: number; finished: boolean } | null> {
  return db.transaction(async (tx) => {
    const s = await lockCrawl(tx, p.sourceId, p.crawlId);
    if (!s) return null;
    const pages = await reach(tx, s, p.crawlId, p.pages);
    // A run again after a crash reaches nothing new, so it starts no more lanes.
    if (pages > 0)
      await rows(
        tx,
        sql`select ${crawlLaneJob(uuid(p.sourceId), uuid(p.crawlId))} from generate_series(1, ${p.lanes}::int)`,
      );
    return { pages, finished: await finishIfDone(tx, p.sourceId, p.crawlId) };
  });
}

/** Queues a lane's next turn (see crawlLaneJob). */
export async function continueLane(db: DbOrTx, sourceId: string, crawlId: string) {
  await rows(db, sql`select ${crawlLaneJob(uuid(sourceId), uuid(crawlId))}`);
}
