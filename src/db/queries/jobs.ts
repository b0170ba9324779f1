import { sql } from 'drizzle-orm';
import { rows, type DbOrTx } from '../client.js';
import * as specs from '../../jobs/specs.js';

// The job queue as graphile-worker keeps it, read through its public `jobs` view. A job is running while a
// worker holds its lock, failed once its attempts are spent (graphile-worker keeps it, never runs it again),
// otherwise waiting: due now, or scheduled for later (a retry after its backoff, a cron's next run).

/** Every task a worker runs (each has its `*_TASK` identifier in specs.ts): listed with zeros when it has no job. */
const TASKS = Object.entries(specs)
  .filter(([name, value]) => name.endsWith('_TASK') && typeof value === 'string')
  .map(([, value]) => value as string);

export type TaskQueue = {
  task: string;
  waiting: number;
  scheduled: number;
  running: number;
  retrying: number;
  failed: number;
  oldestWaitingSince: Date | null;
};

const ALIVE = sql`locked_at is null and attempts < max_attempts`;
const FAILED = sql`locked_at is null and attempts >= max_attempts`;

/** The queue per task, by task identifier; a task no worker knows (a stray job) is listed too. */
export async function queueByTask(db: DbOrTx): Promise<TaskQueue[]> {
  const found = await rows<TaskQueue>(
    db,
    sql`
    select task_identifier as task,
      (count(*) filter (where ${ALIVE} and run_at <= now()))::int as waiting,
      (count(*) filter (where ${ALIVE} and run_at > now()))::int as scheduled,
      (count(*) filter (where locked_at is not null))::int as running,
      (count(*) filter (where ${ALIVE} and attempts > 0))::int as retrying,
      (count(*) filter (where ${FAILED}))::int as failed,
      min(run_at) filter (where ${ALIVE} and run_at <= now()) as "oldestWaitingSince"
    from graphile_worker.jobs
    group by task_identifier`,
  );
  const byTask = new Map(found.map((q) => [q.task, q]));
  for (const task of TASKS) {
    if (!byTask.has(task))
      byTask.set(task, {
        task,
        waiting: 0,
        scheduled: 0,
        running: 0,
        retrying: 0,
        failed: 0,
        oldestWaitingSince: null,
      });
  }
  return [...byTask.values()].sort((a, b) => a.task.localeCompare(b.task));
}

export type FailedJob = {
  id: string;
  task: string;
  attempts: number;
  maxAttempts: number;
  lastError: string | null;
  projectId: string | null;
  key: string | null;
  runAt: Date;
  createdAt: Date;
  updatedAt: Date;
};

/** How much of a failed job's last error is shown: its message and the top of its stack. */
export const LAST_ERROR_CHARS = 4000;

/**
 * Jobs whose attempts are spent, newest first (by job id), `limit` of them after `beforeId`; `more` says
 * whether others follow. `task` keeps one task's.
 */
export async function failedJobs(
  db: DbOrTx,
  p: { task?: string; limit: number; beforeId?: string },
): Promise<{ rows: FailedJob[]; more: boolean }> {
  const found = await rows<FailedJob>(
    db,
    sql`
    select j.id::text, j.task_identifier as task, j.attempts, j.max_attempts as "maxAttempts",
      left(j.last_error, ${LAST_ERROR_CHARS}) as "lastError",
      case when json_typeof(pj.payload->'project_id') = 'string' then pj.payload->>'project_id' end as "projectId",
      j.key, j.run_at as "runAt", j.created_at as "createdAt", j.updated_at as "updatedAt"
    from graphile_worker.jobs j
    -- The view leaves the payload out; the project a job is about is in it.
    join graphile_worker._private_jobs pj on pj.id = j.id
    where j.locked_at is null and j.attempts >= j.max_attempts
      ${p.task === undefined ? sql`` : sql`and j.task_identifier = ${p.task}`}
      ${p.beforeId === undefined ? sql`` : sql`and j.id < ${p.beforeId}::bigint`}
    order by j.id desc
    limit ${p.limit + 1}`,
  );
  return { rows: found.slice(0, p.limit), more: found.length > p.limit };
}
