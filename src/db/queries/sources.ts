import { and, asc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { rows, run, type Db, type DbOrTx } from '../client.js';
import { documents, sources } from '../schema/index.js';
import { addJobs, indexPageSpec, purgeSourceJob, searchStatsJob } from '../../jobs/specs.js';
import { startCrawl } from './crawl.js';
import type { SourceRow } from '../../schemas/sources.js';

// A deleted source (deleted_at set) is gone for its project at once: every statement here skips it, while
// its rows are removed in the background.

/** Each source's documents counted; a files source is running while any of its documents is queued. */
const counted = (db: DbOrTx) => {
  const n = (status: string) => sql<number>`(count(*) filter (where ${documents.status} = ${status}))::int`;
  const d = db
    .select({
      total: sql<number>`count(*)::int`.as('total'),
      queued: n('queued').as('queued'),
      indexed: n('indexed').as('indexed'),
      failed: n('failed').as('failed'),
      skipped: n('skipped').as('skipped'),
      chunks: sql<number>`coalesce(sum(${documents.chunks}), 0)::int`.as('chunks'),
    })
    .from(documents)
    .where(eq(documents.sourceId, sources.id))
    .as('d');
  return db
    .select({
      id: sources.id,
      type: sources.type,
      name: sources.name,
      url: sources.url,
      include: sources.include,
      exclude: sources.exclude,
      maxPages: sources.maxPages,
      refresh: sources.refresh,
      status: sql<SourceRow['status']>`case when ${sources.type} = 'website' then ${sources.status}::text
        when ${d.queued} > 0 then 'running' else 'ready' end`,
      total: d.total,
      indexed: d.indexed,
      failed: d.failed,
      skipped: d.skipped,
      chunks: d.chunks,
      error: sources.error,
      lastRefreshedAt: sources.lastRefreshedAt,
      nextRefreshAt: sources.nextRefreshAt,
      createdAt: sources.createdAt,
    })
    .from(sources)
    .crossJoinLateral(d)
    .$dynamic();
};
const sourceRows = (db: DbOrTx, where: SQL | undefined): Promise<SourceRow[]> =>
  run(
    counted(db)
      .where(and(isNull(sources.deletedAt), where))
      .orderBy(asc(sources.createdAt), asc(sources.id)),
  );

export type SourceKey = { projectId: string; sourceId: string };
export const oneSource = (p: SourceKey) => sql`s.project_id = ${p.projectId} and s.id = ${p.sourceId}`;
const thisProjects = (p: SourceKey) => and(eq(sources.projectId, p.projectId), eq(sources.id, p.sourceId));

export async function listSources(db: Db, p: { projectId: string }): Promise<SourceRow[]> {
  return sourceRows(db, eq(sources.projectId, p.projectId));
}

/** One of the project's live sources; null if it is not one of them. */
export async function getSource(db: DbOrTx, p: SourceKey): Promise<SourceRow | null> {
  const [row] = await sourceRows(db, thisProjects(p));
  return row ?? null;
}

export type NewSourceFields = {
  type: 'website' | 'files';
  name: string;
  url: string | null;
  include: string[];
  exclude: string[];
  maxPages: number;
  refresh: 'daily' | 'weekly' | 'never';
};

/** Creates a source; a website's first crawl is queued with it (both or neither). */
export async function createSource(db: Db, p: { projectId: string } & NewSourceFields): Promise<SourceRow> {
  return db.transaction(async (tx) => {
    const { projectId, ...fields } = p;
    const [row] = await run(
      tx
        .insert(sources)
        .values({ projectId, ...fields })
        .returning({ id: sources.id }),
    );
    if (p.type === 'website') await startCrawl(tx, row.id);
    return (await getSource(tx, { projectId, sourceId: row.id }))!;
  });
}

/** The source's row, locked until the transaction ends; null if it is not one of the project's live ones. */
export async function lockSource(tx: DbOrTx, p: SourceKey, mode: 'update' | 'share') {
  const [row] = await rows<{ type: 'website' | 'files'; status: string }>(
    tx,
    sql`select type, status from sources s where ${oneSource(p)} and deleted_at is null for ${sql.raw(mode)}`,
  );
  return row ?? null;
}

/** One of the source's CRAWL_CONCURRENCY index queues for a document, spread by its id. */
export const lane = (documentId: SQL, lanes: number) => sql`abs(hashtext(${documentId}::text)::bigint) % ${lanes}::int`;

/**
 * Refreshes a source now: a website's crawl starts again ('busy' while one is queued or running); a files
 * source's documents are indexed again. Null if it is not one of the project's live sources.
 */
export async function refreshSource(db: Db, p: SourceKey & { lanes: number }): Promise<SourceRow | 'busy' | null> {
  return db.transaction(async (tx) => {
    const source = await lockSource(tx, p, 'update');
    if (!source) return null;
    if (source.type === 'website') {
      if (source.status === 'queued' || source.status === 'running') return 'busy';
      await startCrawl(tx, p.sourceId);
    } else {
      const spec = indexPageSpec(sql`q.source_id`, sql`q.id`, sql`null::uuid`, lane(sql`q.id`, p.lanes));
      await rows(
        tx,
        sql`with q as (
          update documents set status = 'queued', reason = null, updated_at = now()
          where source_id = ${p.sourceId} and content is not null returning id, source_id)
        select count(*)::int as n from ${addJobs(spec, sql`q`)}`,
      );
    }
    return getSource(tx, p);
  });
}

/** Hides a source at once (search skips it) and queues the removal of its rows; false if not the project's. */
export async function deleteSource(db: Db, p: SourceKey): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [row] = await rows<{ id: string }>(
      tx,
      sql`update sources s set deleted_at = now() where ${oneSource(p)} and deleted_at is null returning id`,
    );
    if (!row) return false;
    await rows(
      tx,
      sql`select ${purgeSourceJob(sql`${p.sourceId}::uuid`)}, ${searchStatsJob(sql`${p.projectId}::uuid`)}`,
    );
    return true;
  });
}
