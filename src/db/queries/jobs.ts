import { sql, type SQL } from 'drizzle-orm';
import { rows, type DbOrTx } from '../client.js';

// graphile-worker jobs added from SQL, inside the caller's statement or transaction: they commit with the
// data they are about, or not at all.
export const CLASSIFY_TASK = 'threads__classify';
export const BATCH_TASK = 'classification__batch';
export const SWEEP_TASK = 'classification__sweep';
export const LIVE_PRIORITY = 0;
export const BACKFILL_PRIORITY = 10;
// Few attempts (about 1.5 minutes of backoff in all): after that the sweep enqueues the thread again.
export const CLASSIFY_MAX_ATTEMPTS = 5;

/**
 * add_job for a new thread, in the statement that creates it. Keyed by the thread with job_key_mode
 * 'unsafe_dedupe', which takes add_job's plain path: one insert (a key nobody else uses never conflicts).
 * The default path goes through add_jobs, whose PL/pgSQL cost 0.5 ms more per chat (measured at one
 * connection); a new thread has no job to replace, so the two mean the same here.
 */
export function newThreadJob(projectId: SQL, threadId: SQL): SQL {
  return sql`graphile_worker.add_job(
    ${CLASSIFY_TASK},
    json_build_object('project_id', ${projectId}, 'thread_ids', json_build_array(${threadId})),
    priority := ${sql.raw(String(LIVE_PRIORITY))},
    max_attempts := ${sql.raw(String(CLASSIFY_MAX_ATTEMPTS))},
    job_key := ${`${CLASSIFY_TASK}:`} || ${threadId},
    job_key_mode := 'unsafe_dedupe')`;
}

/** add_job for threads__classify (a thread handed back to the classifier); `threadIds` gives a json array. */
export function classifyJob(projectId: SQL, threadIds: SQL): SQL {
  return sql`graphile_worker.add_job(
    ${CLASSIFY_TASK},
    json_build_object('project_id', ${projectId}, 'thread_ids', ${threadIds}),
    priority := ${sql.raw(String(LIVE_PRIORITY))},
    max_attempts := ${sql.raw(String(CLASSIFY_MAX_ATTEMPTS))})`;
}

/**
 * Runs a sweep now, or after `delayMs`, besides its crontab schedule. Keyed: kicks that arrive while one
 * is queued merge into it (preserve_run_at keeps the earlier time); a kick during a running sweep queues
 * one more.
 */
export async function kickSweep(db: DbOrTx, delayMs = 0): Promise<void> {
  await rows(
    db,
    sql`select graphile_worker.add_job(${SWEEP_TASK}, '{}'::json,
    run_at := now() + make_interval(secs => ${delayMs / 1000}::float8), job_key := 'classification_sweep_kick',
    job_key_mode := 'preserve_run_at')`,
  );
}

/** A sweep at `at` (replacing the one this key scheduled before): when the next backfill batch expires. */
export async function sweepAt(db: DbOrTx, at: string): Promise<void> {
  await rows(
    db,
    sql`select graphile_worker.add_job(${SWEEP_TASK}, '{}'::json,
    run_at := ${at}::timestamptz, job_key := 'classification_sweep_expiry', job_key_mode := 'replace')`,
  );
}

export const PURGE_PROJECT_TASK = 'projects__purge';
// A purge that keeps failing is retried for about a day (graphile-worker's backoff), then waits for an operator.
const PURGE_MAX_ATTEMPTS = 25;

/**
 * A projects__purge job spec for `add_jobs`, keyed by the project: a delete and the purge's own next step
 * never leave two queued. `after` is where the previous step stopped (json or null).
 */
export function purgeProjectSpec(projectId: SQL, after: SQL = sql`null`): SQL {
  return sql`(${PURGE_PROJECT_TASK}, json_strip_nulls(json_build_object('project_id', ${projectId}, 'after', ${after})), null, null,
    ${sql.raw(String(PURGE_MAX_ATTEMPTS))}, ${`${PURGE_PROJECT_TASK}:`} || ${projectId}, ${sql.raw(String(BACKFILL_PRIORITY))}, null)::graphile_worker.job_spec`;
}

/** The purge's next step, queued behind whatever else waits in the background lane. */
export async function addPurgeStep(
  db: DbOrTx,
  projectId: string,
  after: { at: string; id: string } | null,
): Promise<void> {
  await rows(
    db,
    sql`select graphile_worker.add_jobs(array[${purgeProjectSpec(sql`${projectId}::uuid`, after ? sql`${JSON.stringify(after)}::json` : sql`null`)}])`,
  );
}
