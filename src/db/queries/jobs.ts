import { sql, type SQL } from 'drizzle-orm';
import { rows, type DbOrTx } from '../client.js';

// graphile-worker jobs added from SQL, inside the caller's statement or transaction: they commit with the
// data they are about, or not at all.
export const CLASSIFY_TASK = 'threads__classify';
export const SWEEP_TASK = 'classification__sweep';
export const LIVE_PRIORITY = 0; // lower runs first: a new thread's label never waits behind a backfill
export const BACKFILL_PRIORITY = 10;
// Few attempts (about 1.5 minutes of backoff in all): after that the sweep enqueues the thread again.
const CLASSIFY_MAX_ATTEMPTS = 5;

/** add_job for threads__classify; `threadIds` is an SQL expression giving a json array of ids. */
export function classifyJob(projectId: SQL | string, threadIds: SQL, priority: number): SQL {
  return sql`graphile_worker.add_job(
    ${CLASSIFY_TASK},
    json_build_object('project_id', ${projectId}, 'thread_ids', ${threadIds}),
    priority := ${sql.raw(String(priority))},
    max_attempts := ${sql.raw(String(CLASSIFY_MAX_ATTEMPTS))})`;
}

/**
 * Runs a sweep now, or after `delayMs`. Keyed: kicks that arrive while one is queued merge into it
 * (preserve_run_at keeps the earlier schedule); a kick during a running sweep queues one more.
 */
export async function kickSweep(db: DbOrTx, delayMs = 0): Promise<void> {
  await rows(db, sql`select graphile_worker.add_job(${SWEEP_TASK}, '{}'::json,
    run_at := now() + make_interval(secs => ${delayMs / 1000}::float8), job_key := 'classification_sweep_kick',
    job_key_mode := 'preserve_run_at')`);
}

/**
 * Keeps the periodic sweep scheduled: one job, keyed, due `seconds` from now unless it is already queued
 * (preserve_run_at), so every worker and every sweep can call this without shifting the schedule.
 */
export async function scheduleSweep(db: DbOrTx, seconds: number): Promise<void> {
  await rows(db, sql`select graphile_worker.add_job(${SWEEP_TASK}, '{"periodic": true}'::json,
    run_at := now() + make_interval(secs => ${seconds}::int), job_key := 'classification_sweep_periodic',
    job_key_mode := 'preserve_run_at')`);
}
