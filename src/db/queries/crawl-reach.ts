import { sql } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';
import { crawlLaneJob } from '../../jobs/specs.js';
import { finishIfDone, lockCrawl, uuid } from './crawl.js';

// Reaching pages: a crawl's seeds and the links of the pages it checks become documents stamped with the crawl
// (inserted when new), for its lanes to take.

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
