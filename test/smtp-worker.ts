// The worker side of the mail tests: runs the report jobs, whose mail goes to the test SMTP server
// (the SMTP_URL given to build()), and adds what graphile-worker's cron would.
import { sql, type SQL } from 'drizzle-orm';
import { runOnce } from 'graphile-worker';
import { pino, type Logger } from 'pino';
import type { Db } from '../src/db/client.js';
import { StaticClassifier } from '../src/models/classifier.js';
import { workerLogger } from '../src/lib/logger.js';
import { createTaskList } from '../tasks/index.js';
import type { build } from './helper.js';

type Ctx = Awaited<ReturnType<typeof build>>;

/** 2026-11-23, a Monday: WEEKLY (16 to 22 November) and BIWEEKLY (9 to 22 November) are due. */
export const MONDAY = '2026-11-23';

/**
 * Runs every due job, as drain() does, but returns only once graphile-worker has recorded each job's
 * success or failure (batched completion is flushed at shutdown; unbatched, it may land later).
 */
export const runJobs = (ctx: Ctx, log: Logger = pino({ level: 'silent' })) =>
  runOnce({
    connectionString: ctx.url,
    concurrency: 4,
    logger: workerLogger(log),
    preset: { worker: { completeJobBatchDelay: 0, failJobBatchDelay: 0 } },
    taskList: createTaskList({ config: ctx.config, db: ctx.db, log, classifier: new StaticClassifier(0) }),
  });

/** The job graphile-worker's cron adds at 06:00 UTC on `day`; runJobs() runs it and the jobs it adds. */
export const cronFanOut = (db: Db, day: string) =>
  db.execute(sql`select graphile_worker.add_job('reports__fan_out',
    json_build_object('_cron', json_build_object('ts', ${`${day}T06:00:00.000Z`}::text, 'backfilled', false)))`);

export const count = async (db: Db, query: SQL) => (await db.execute<{ n: number }>(query))[0]!.n;

/** reports__send jobs in the queue (waiting, running or failed). */
export const sendJobs = (db: Db) =>
  count(db, sql`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'reports__send'`);
