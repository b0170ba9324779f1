import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { rows, run, type Db, type DbOrTx } from '../client.js';
import { SWEEP_LOCK } from '../locks.js';
import { categories, classificationMinutes, threads } from '../schema/index.js';
import type { CategoryChoice } from '../../models/classifier.js';
import { BACKFILL_PRIORITY, CLASSIFY_TASK, classifyJob, LIVE_PRIORITY } from './jobs.js';

/** A PostgreSQL array literal of uuids, passed as one text parameter: one statement text whatever the count. */
const uuidArray = (ids: string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;

/**
 * The user's label (C9, C10): set it, or with null hand the thread back to the classifier, which gets a
 * live job in the same statement. False when the thread is not one of this project's. A category of
 * another project, or none, violates threads_project_category_fk.
 */
export async function setUserLabel(
  db: DbOrTx,
  p: { projectId: string; threadId: string; categoryId: string | null; timeoutSeconds: number },
): Promise<boolean> {
  if (p.categoryId) {
    const updated = await run(
      db
        .update(threads)
        .set({ categoryId: p.categoryId, categorySource: 'user', categorizedAt: sql`now()` })
        .where(and(eq(threads.id, p.threadId), eq(threads.projectId, p.projectId)))
        .returning({ id: threads.id }),
    );
    return updated.length > 0;
  }
  const handedBack = await rows<{ id: string }>(db, sql`
    with t as (
      update threads set category_id = null, category_source = null, categorized_at = null,
        classification_due_at = now() + make_interval(secs => ${p.timeoutSeconds}::int)
      where id = ${p.threadId} and project_id = ${p.projectId}
      returning id
    )
    select t.id, (${classifyJob(sql`${p.projectId}::uuid`, sql`json_build_array(t.id)`, LIVE_PRIORITY)}).id as job
    from t`);
  return handedBack.length > 0;
}

/** The given threads of the project that are still unlabelled (labelled ones are done: repeats are harmless). */
export async function loadUnlabelledThreads(db: DbOrTx, p: { projectId: string; threadIds: string[] }) {
  return run(
    db
      .select({ id: threads.id, firstQuestion: threads.firstQuestion })
      .from(threads)
      .where(and(eq(threads.projectId, p.projectId), sql`${threads.id} = any(${uuidArray(p.threadIds)})`, isNull(threads.categoryId))),
  );
}

export async function categoryChoices(db: DbOrTx, p: { projectId: string }): Promise<CategoryChoice[]> {
  return run(
    db
      .select({ id: categories.id, name: categories.name, description: categories.description })
      .from(categories)
      .where(eq(categories.projectId, p.projectId))
      .orderBy(asc(categories.createdAt), asc(categories.name), asc(categories.id)),
  );
}

/**
 * Stores classifier labels in one statement, only on threads still unlabelled (a user's label, or an
 * earlier result, always stays) and only with categories that still exist in the project. Returns, for
 * each thread labelled, the seconds from its creation to its label.
 */
export async function saveClassifierLabels(
  db: DbOrTx,
  p: { projectId: string; labels: { threadId: string; categoryId: string }[] },
): Promise<number[]> {
  if (p.labels.length === 0) return [];
  const labelled = await rows<{ lag: number }>(db, sql`
    update threads t set category_id = v.category_id, category_source = 'classifier', categorized_at = now()
    from unnest(${uuidArray(p.labels.map((l) => l.threadId))}, ${uuidArray(p.labels.map((l) => l.categoryId))})
      as v(thread_id, category_id)
    where t.id = v.thread_id and t.project_id = ${p.projectId} and t.category_id is null
      and exists (select 1 from categories c where c.id = v.category_id and c.project_id = ${p.projectId})
    returning extract(epoch from now() - t.created_at)::float8 as lag`);
  return labelled.map((r) => r.lag);
}

/** Adds labels to the per-minute counts (flushed by each worker about once a second, see countLabels). */
export async function addLabelCounts(db: DbOrTx, counts: Map<string, number>): Promise<void> {
  for (const [projectId, n] of counts) {
    await run(
      db
        .insert(classificationMinutes)
        .values({ projectId, minute: sql`date_trunc('minute', now())`, labelled: n })
        .onConflictDoUpdate({
          target: [classificationMinutes.projectId, classificationMinutes.minute],
          set: { labelled: sql`${classificationMinutes.labelled} + excluded.labelled` },
        }),
    );
  }
}

/** Threads of a project without categories wait, out of the sweep's way, until a category exists. */
export async function parkThreads(db: DbOrTx, p: { projectId: string; threadIds: string[] }): Promise<void> {
  await run(
    db
      .update(threads)
      .set({ classificationDueAt: sql`'infinity'` })
      .where(and(eq(threads.projectId, p.projectId), sql`${threads.id} = any(${uuidArray(p.threadIds)})`, isNull(threads.categoryId))),
  );
}

/**
 * Backfill jobs that are alive: queued, running, or waiting for a retry. A job locked for longer than the
 * timeout belongs to a dead worker and no longer counts; nor does one out of attempts. The public jobs view
 * has no payload, hence _private_jobs.
 */
const liveBackfillJobs = (timeoutSeconds: number) => sql`
  select j.payload from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
  where k.identifier = ${CLASSIFY_TASK} and j.priority = ${BACKFILL_PRIORITY} and j.attempts < j.max_attempts
    and (j.locked_at is null or j.locked_at > now() - make_interval(secs => ${timeoutSeconds}::int))`;

/** Threads in live backfill jobs. */
export async function queuedBackfillThreads(db: DbOrTx, p: { timeoutSeconds: number }): Promise<number> {
  const [row] = await rows<{ n: number }>(db, sql`
    select coalesce(sum(json_array_length(payload->'thread_ids')), 0)::int as n from (${liveBackfillJobs(p.timeoutSeconds)}) j`);
  return row!.n;
}

export type SweepMark = { dueAt: string; id: string };

/**
 * The sweep's claim: up to `limit` unlabelled threads that are due (never enqueued, handed back, category
 * deleted, or whose live job has not labelled them within the timeout) and in no live backfill job, added
 * as batch jobs of `batchSize` threads of one project each, in one transaction. The jobs themselves are
 * the claim: a backfilled thread is written once, when it is labelled. Threads of projects without
 * categories are parked instead. One sweep at a time (an advisory lock): another one finds it taken and
 * leaves the work to the first.
 *
 * The scan continues `after` the last thread of the previous slice, so a pass over a large backlog does
 * not re-read the slices in flight; `next` is null when the pass reached the end (start again from the
 * front). Correctness never depends on the mark: threads in live jobs are excluded whatever it is.
 */
export async function claimDueThreads(
  db: Db,
  p: { limit: number; batchSize: number; timeoutSeconds: number; after?: SweepMark | null },
): Promise<{ claimed: number; parked: number; next: SweepMark | null }> {
  return db.transaction(async (tx) => {
    const [lock] = await rows<{ ok: boolean }>(tx, sql`select pg_try_advisory_xact_lock(${SWEEP_LOCK}) as ok`);
    if (!lock!.ok) return { claimed: 0, parked: 0, next: p.after ?? null };
    const after = p.after
      ? sql`and (t.classification_due_at, t.id) > (${p.after.dueAt}::timestamptz, ${p.after.id}::uuid)`
      : sql``;
    const batches = await rows<{ project_id: string; ids: string[]; parked: boolean; last_due: string; last_id: string }>(tx, sql`
      with picked as (
        select t.id, t.project_id, t.classification_due_at as due,
          not exists (select 1 from categories c where c.project_id = t.project_id) as parked
        from threads t
        where t.category_id is null and t.classification_due_at <= now() ${after}
          -- NOT IN over a subquery is planned as a hashed subplan: one hash probe per thread scanned.
          and t.id not in (
            select json_array_elements_text(payload->'thread_ids')::uuid from (${liveBackfillJobs(p.timeoutSeconds)}) j)
        order by t.classification_due_at, t.id
        limit ${p.limit}
      ),
      parking as (
        update threads t set classification_due_at = 'infinity'
        from picked where t.id = picked.id and picked.parked and t.category_id is null
      ),
      numbered as (
        select id, project_id, parked, (row_number() over (partition by project_id order by id) - 1) / ${p.batchSize} as batch
        from picked
      ),
      last as (select due::text as last_due, id::text as last_id from picked order by due desc, id desc limit 1)
      select project_id, parked, array_agg(id::text) as ids, min(last_due) as last_due, min(last_id) as last_id
      from numbered cross join last group by project_id, parked, batch`);
    let claimed = 0;
    let parked = 0;
    for (const batch of batches) {
      if (batch.parked) {
        parked += batch.ids.length;
        continue;
      }
      claimed += batch.ids.length;
      await rows(tx, sql`select ${classifyJob(sql`${batch.project_id}::uuid`, sql`${JSON.stringify(batch.ids)}::json`, BACKFILL_PRIORITY)}`);
    }
    const full = claimed + parked >= p.limit;
    return { claimed, parked, next: full ? { dueAt: batches[0]!.last_due, id: batches[0]!.last_id } : null };
  });
}
