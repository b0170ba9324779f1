import { and, eq, gt, lt, sql } from 'drizzle-orm';
import { rows, run, type Db, type DbOrTx } from '../client.js';
import { SWEEP_LOCK } from '../locks.js';
import { classificationBatches } from '../schema/index.js';
import { addJobs, batchJobSpec } from '../../jobs/specs.js';

const inFlight = gt(classificationBatches.claimedUntil, sql`now()`);

/** Threads held by backfill batches in flight. */
export async function heldBackfillThreads(db: DbOrTx): Promise<number> {
  const [row] = await run(
    db
      .select({ n: sql<number>`coalesce(sum(cardinality(${classificationBatches.threadIds})), 0)::int` })
      .from(classificationBatches)
      .where(inFlight),
  );
  return row.n;
}

/** When the next batch in flight runs out of time (ISO), if any. */
export async function nextBatchExpiry(db: DbOrTx): Promise<string | null> {
  const [row] = await run(
    db
      .select({ at: sql<string | null>`min(${classificationBatches.claimedUntil})::text` })
      .from(classificationBatches)
      .where(inFlight),
  );
  return row?.at ?? null;
}

/** Batches past their time (their worker died, or their job gave up): their threads are due again. */
export async function releaseExpiredBatches(db: DbOrTx): Promise<void> {
  await run(db.delete(classificationBatches).where(lt(classificationBatches.claimedUntil, sql`now()`)));
}

/** A batch in flight: its project, threads and relabel run (null: a backfill batch); null once it is done or released. */
export async function getBatch(db: DbOrTx, p: { batchId: number }) {
  const [row] = await run(
    db
      .select({
        projectId: classificationBatches.projectId,
        threadIds: classificationBatches.threadIds,
        relabelRunId: classificationBatches.relabelRunId,
      })
      .from(classificationBatches)
      .where(and(eq(classificationBatches.id, p.batchId), inFlight)),
  );
  return row ?? null;
}

export async function finishBatch(db: DbOrTx, p: { batchId: number }): Promise<void> {
  await run(db.delete(classificationBatches).where(eq(classificationBatches.id, p.batchId)));
}

export type SweepMark = { dueAt: string; createdAt: string; id: string };

/**
 * The sweep's claim, in one statement: up to `limit` unlabelled threads that are due (never enqueued,
 * handed back, category deleted, or whose live job has not labelled them within the timeout) and in no
 * batch in flight become batches of `batchSize` threads of one project, each with its classification__batch
 * job. A batch holds its threads until `timeoutSeconds` from now; a backfilled thread is written once,
 * when it is labelled. Threads of projects without categories are parked instead. One sweep at a time (an
 * advisory lock): another finds it taken and leaves the work to the first.
 *
 * The scan continues `after` the last thread of the previous slice, so a pass over a large backlog does
 * not re-read the slices in flight; `next` is null when the pass reached the end (start again from the
 * front). Correctness never depends on the mark: held threads are excluded whatever it is.
 */
export async function claimDueThreads(
  db: Db,
  p: { limit: number; batchSize: number; timeoutSeconds: number; after?: SweepMark | null },
): Promise<{ claimed: number; parked: number; next: SweepMark | null }> {
  return db.transaction(async (tx) => {
    const [lock] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK}) as ok`);
    if (!lock.ok) return { claimed: 0, parked: 0, next: p.after ?? null };
    const after = p.after
      ? sql`and (t.classification_due_at, t.created_at, t.id) > (${p.after.dueAt}::timestamptz, ${p.after.createdAt}::timestamptz, ${p.after.id}::uuid)`
      : sql``;
    const [result] = await rows<{
      claimed: number;
      parked: number;
      lastDue: string | null;
      lastCreated: string | null;
      lastId: string | null;
    }>(
      tx,
      sql`
      with picked as (
        select t.id, t.project_id, t.classification_due_at as due, t.created_at as created,
          -- A deleted project's threads wait for its purge: no classifier call is spent on them.
          not exists (select 1 from categories c where c.project_id = t.project_id)
            or exists (select 1 from projects pr where pr.id = t.project_id and pr.deleted_at is not null) as parked
        from threads t
        where t.category_id is null and t.classification_due_at <= now() ${after}
          -- NOT IN over a subquery is planned as a hashed subplan: one hash probe per thread scanned.
          and t.id not in (select unnest(thread_ids) from classification_batches where claimed_until > now())
        -- In creation order: a batch's threads then lie in a few hours, and their labels leave a few rows
        -- of deltas in the rollup rather than about two a thread.
        order by t.classification_due_at, t.created_at, t.id
        limit ${p.limit}
      ),
      parking as (
        update threads t set classification_due_at = 'infinity'
        from picked where t.id = picked.id and picked.parked and t.category_id is null
      ),
      batches as (
        insert into classification_batches (project_id, thread_ids, claimed_until)
        select project_id, array_agg(id), now() + make_interval(secs => ${p.timeoutSeconds}::int)
        from (select id, project_id, (row_number() over (partition by project_id order by created, id) - 1) / ${p.batchSize} as n
              from picked where not parked) numbered
        group by project_id, n
        returning id, cardinality(thread_ids) as size
      ),
      jobs as (
        select count(*) from ${addJobs(batchJobSpec(sql`id`), sql`batches`)}
      ),
      last as (select due::text as due, created::text as created, id::text as id from picked order by due desc, created desc, id desc limit 1)
      select (select coalesce(sum(size), 0)::int from batches) as claimed,
             (select count(*)::int from picked where parked) as parked,
             (select due from last) as "lastDue", (select created from last) as "lastCreated", (select id from last) as "lastId"
      from jobs`,
    );
    const { claimed, parked } = result;
    const full = claimed + parked >= p.limit;
    const { lastDue, lastCreated, lastId } = result;
    return {
      claimed,
      parked,
      next: full && lastDue ? { dueAt: lastDue, createdAt: lastCreated!, id: lastId! } : null,
    };
  });
}
