import { sql } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';
import { purgeSourceJob, searchStatsJob } from '../../jobs/specs.js';
import { uuid } from './crawl.js';

// The end of a crawl (pages it did not reach leave, the source is ready) and the removal of deleted sources'
// rows, both in short batches: a document's delete takes its chunks with it (foreign key cascade), and a
// source may hold many thousands of them.

/**
 * Deletes up to `limit` documents of the source that the crawl `crawlId` did not reach (no longer linked,
 * listed or in scope), if that crawl is still the source's. Returns how many went.
 */
export async function deleteUnreached(db: DbOrTx, sourceId: string, crawlId: string, limit: number): Promise<number> {
  const [r] = await rows<{ n: number }>(
    db,
    sql`
    with d as (
      delete from documents where id = any(array(
        select d.id from documents d join sources s on s.id = d.source_id and s.crawl_id = ${crawlId}
        where d.source_id = ${sourceId} and d.crawl_id is distinct from ${crawlId} limit ${limit}))
      returning 1
    )
    select count(*)::int as n from d`,
  );
  return r.n;
}

/**
 * The crawl's end: the source ready (or failed, with the start page's reason, when it failed or was skipped
 * and nothing is indexed), its refresh times set, and its project's word statistics recomputed a moment
 * later. Does nothing unless `crawlId` is the source's running crawl; returns whether it ended it.
 */
export async function completeCrawl(
  db: DbOrTx,
  p: { sourceId: string; crawlId: string; startPath: string },
): Promise<{ status: 'ready' | 'failed'; error: string | null } | null> {
  const [r] = await rows<{ status: 'ready' | 'failed'; error: string | null }>(
    db,
    sql`
    with start as (
      select status, reason from documents where source_id = ${p.sourceId} and path = ${p.startPath}
    ),
    verdict as (
      select coalesce((select status in ('failed', 'skipped') from start), true)
        and not exists (select 1 from documents where source_id = ${p.sourceId} and status = 'indexed') as failed
    ),
    s as (
      update sources set
        status = (case when (select failed from verdict) then 'failed' else 'ready' end)::source_status,
        error = case when (select failed from verdict)
          then url || ': ' || coalesce((select reason from start), 'no page could be reached') end,
        last_refreshed_at = now(),
        next_refresh_at = case refresh when 'daily' then now() + interval '1 day'
          when 'weekly' then now() + interval '7 days' end
      where id = ${p.sourceId} and crawl_id = ${p.crawlId} and status = 'running' and deleted_at is null
      returning project_id, status, error
    )
    select s.status, s.error, ${searchStatsJob(sql`s.project_id`)} from s`,
  );
  return r ? { status: r.status, error: r.error } : null;
}

/**
 * One batch of a deleted source's purge: up to `limit` of its documents (their chunks cascade), or, once
 * none is left, the source's row. Returns what it did and the project (for its statistics), or null when
 * there is no deleted source by that id (purged already, or never deleted: never purge a live one).
 */
export async function purgeSourceBatch(
  db: DbOrTx,
  sourceId: string,
  limit: number,
): Promise<{ projectId: string; documents: number; removed: boolean } | null> {
  const [s] = await rows<{ projectId: string }>(
    db,
    sql`select project_id as "projectId" from sources where id = ${sourceId} and deleted_at is not null`,
  );
  if (!s) return null;
  const [r] = await rows<{ n: number }>(
    db,
    sql`with d as (
          delete from documents where id = any(array(select id from documents where source_id = ${sourceId} limit ${limit}))
          returning 1)
        select count(*)::int as n from d`,
  );
  if (r.n > 0) return { projectId: s.projectId, documents: r.n, removed: false };
  await rows(db, sql`delete from sources where id = ${sourceId} and deleted_at is not null`);
  return { projectId: s.projectId, documents: 0, removed: true };
}

/** The purge's next step, and the project's statistics once the source is gone (in the caller's transaction). */
export async function addSourcePurgeStep(db: DbOrTx, sourceId: string): Promise<void> {
  await rows(db, sql`select ${purgeSourceJob(uuid(sourceId))}`);
}

/** The statistics of a project recomputed a moment later, if it is still live. */
export async function addSearchStats(db: DbOrTx, projectId: string): Promise<void> {
  await rows(
    db,
    sql`select ${searchStatsJob(sql`p.id`)} from projects p where p.id = ${projectId} and p.deleted_at is null`,
  );
}

/** Whether the project is live (its statistics are worth computing). */
export async function projectIsLive(db: DbOrTx, projectId: string): Promise<boolean> {
  const r = await rows(db, sql`select 1 from projects where id = ${projectId} and deleted_at is null`);
  return r.length > 0;
}

/**
 * A deleted project's sources, removed in batches of `limit` documents (chunks can be millions), each source's
 * row after its documents; every batch its own transaction. Returns the documents deleted.
 */
export async function purgeProjectSources(db: Db, projectId: string, limit: number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const [r] = await rows<{ n: number; source: string | null }>(
      db,
      sql`
      with s as (select id from sources where project_id = ${projectId} limit 1),
      d as (
        delete from documents where id = any(array(
          select id from documents where source_id = (select id from s) limit ${limit}))
        returning 1
      )
      select count(*)::int as n, (select id from s) as source from d`,
    );
    if (!r.source) return deleted;
    deleted += r.n;
    if (r.n === 0) await rows(db, sql`delete from sources where id = ${r.source}`);
  }
}
