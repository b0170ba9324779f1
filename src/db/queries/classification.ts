import { sql } from 'drizzle-orm';
import type { Db, DbOrTx } from '../client.js';
import { FOREIGN_KEY_VIOLATION, pgCode } from '../pg-errors.js';
import { notFound } from '../../errors.js';
import type { CategoryChoice } from '../../lib/classifier.js';
import { BACKFILL_PRIORITY, CLASSIFY_TASK, classifyJob, LIVE_PRIORITY } from './jobs.js';

/** A PostgreSQL array literal of uuids, passed as one text parameter. */
const uuidArray = (ids: string[]) => sql`${`{${ids.join(',')}}`}::uuid[]`;

/**
 * The user's label (C9, C10): set it, or with null hand the thread back to the classifier, which gets a
 * live job in the same statement. Null when the thread is not one of this project's.
 */
export async function setUserLabel(
  db: Db,
  p: { projectId: string; threadId: string; categoryId: string | null; timeoutSeconds: number },
): Promise<boolean> {
  try {
    if (p.categoryId) {
      const [row] = await db.execute(sql`
        update threads set category_id = ${p.categoryId}, category_source = 'user', categorized_at = now()
        where id = ${p.threadId} and project_id = ${p.projectId}
        returning id`);
      return row !== undefined;
    }
    const [row] = await db.execute(sql`
      with t as (
        update threads set category_id = null, category_source = null, categorized_at = null,
          classification_due_at = now() + make_interval(secs => ${p.timeoutSeconds}::int)
        where id = ${p.threadId} and project_id = ${p.projectId}
        returning id
      )
      select t.id, (${classifyJob(sql`${p.projectId}::uuid`, sql`json_build_array(t.id)`, LIVE_PRIORITY)}).id as job
      from t`);
    return row !== undefined;
  } catch (err) {
    // The composite foreign key (project_id, category_id): another project's or an unknown category.
    if (pgCode(err) === FOREIGN_KEY_VIOLATION) throw notFound('category');
    throw err;
  }
}

export type ThreadToClassify = { id: string; first_question: string };

/** The given threads of the project that are still unlabelled (labelled ones are done: repeats are harmless). */
export async function loadUnlabelledThreads(db: DbOrTx, p: { projectId: string; threadIds: string[] }) {
  return [
    ...(await db.execute<ThreadToClassify>(sql`
      select id, first_question from threads
      where project_id = ${p.projectId} and id = any(${uuidArray(p.threadIds)}) and category_id is null`)),
  ];
}

export async function categoryChoices(db: DbOrTx, p: { projectId: string }): Promise<CategoryChoice[]> {
  return [
    ...(await db.execute<CategoryChoice>(sql`
      select id, name, description from categories where project_id = ${p.projectId} order by created_at, name, id`)),
  ];
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
  const rows = await db.execute<{ lag: number }>(sql`
    update threads t set category_id = v.category_id, category_source = 'classifier', categorized_at = now()
    from unnest(${uuidArray(p.labels.map((l) => l.threadId))}, ${uuidArray(p.labels.map((l) => l.categoryId))})
      as v(thread_id, category_id)
    where t.id = v.thread_id and t.project_id = ${p.projectId} and t.category_id is null
      and exists (select 1 from categories c where c.id = v.category_id and c.project_id = ${p.projectId})
    returning extract(epoch from now() - t.created_at)::float8 as lag`);
  return rows.map((r) => r.lag);
}

/** Threads of a project without categories wait, out of the sweep's way, until a category exists. */
export async function parkThreads(db: DbOrTx, p: { projectId: string; threadIds: string[] }): Promise<void> {
  await db.execute(sql`
    update threads set classification_due_at = 'infinity'
    where project_id = ${p.projectId} and id = any(${uuidArray(p.threadIds)}) and category_id is null`);
}

/**
 * Threads queued or running in backfill jobs (the public jobs view has no payload, hence _private_jobs).
 * A job locked for longer than the timeout belongs to a dead worker: it no longer counts.
 */
export async function queuedBackfillThreads(db: DbOrTx, p: { timeoutSeconds: number }): Promise<number> {
  const [row] = await db.execute<{ n: number }>(sql`
    select coalesce(sum(json_array_length(j.payload->'thread_ids')), 0)::int as n
    from graphile_worker._private_jobs j join graphile_worker._private_tasks k on k.id = j.task_id
    where k.identifier = ${CLASSIFY_TASK} and j.priority = ${BACKFILL_PRIORITY} and j.attempts < j.max_attempts
      and (j.locked_at is null or j.locked_at > now() - make_interval(secs => ${p.timeoutSeconds}::int))`);
  return row!.n;
}

/**
 * The sweep's claim: up to `limit` unlabelled threads that are due (never enqueued, handed back, category
 * deleted, or held by a job for longer than the timeout), in batch jobs of `batchSize` threads of one
 * project each, in one transaction. Threads of projects without categories are parked instead.
 * SKIP LOCKED lets several workers sweep at once without taking the same threads.
 */
export async function claimDueThreads(
  db: Db,
  p: { limit: number; batchSize: number; timeoutSeconds: number },
): Promise<{ claimed: number; parked: number }> {
  return db.transaction(async (tx) => {
    const rows = await tx.execute<{ project_id: string; ids: string[]; parked: boolean }>(sql`
      with picked as (
        select t.id, t.project_id from threads t
        where t.category_id is null and t.classification_due_at <= now()
        order by t.classification_due_at
        limit ${p.limit}
        for update skip locked
      ),
      marked as (
        update threads t set classification_due_at = case
            when exists (select 1 from categories c where c.project_id = t.project_id)
            then now() + make_interval(secs => ${p.timeoutSeconds}::int)
            else 'infinity' end
        from picked where t.id = picked.id
        returning t.id, t.project_id, t.classification_due_at = 'infinity' as parked
      ),
      numbered as (
        select id, project_id, parked, (row_number() over (partition by project_id order by id) - 1) / ${p.batchSize} as batch
        from marked
      )
      select project_id, parked, array_agg(id::text) as ids from numbered group by project_id, parked, batch`);
    let claimed = 0;
    let parked = 0;
    for (const batch of rows) {
      if (batch.parked) {
        parked += batch.ids.length;
        continue;
      }
      claimed += batch.ids.length;
      await tx.execute(sql`select ${classifyJob(sql`${batch.project_id}::uuid`, sql`${JSON.stringify(batch.ids)}::json`, BACKFILL_PRIORITY)}`);
    }
    return { claimed, parked };
  });
}
