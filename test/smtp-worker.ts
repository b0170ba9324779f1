// The worker side of the mail tests: adds what graphile-worker's cron would; drain() (helper.ts) runs the
// report jobs, whose mail goes to the test SMTP server (the SMTP_URL given to build()).
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from '../src/db/client.js';

/** 2026-11-23, a Monday: WEEKLY (16 to 22 November) and BIWEEKLY (9 to 22 November) are due. */
export const MONDAY = '2026-11-23';

/** The job graphile-worker's cron adds at 06:00 UTC on `day`; drain() runs it and the jobs it adds. */
export const cronFanOut = (db: Db, day: string) =>
  db.execute(sql`select graphile_worker.add_job('reports__fan_out',
    json_build_object('_cron', json_build_object('ts', ${`${day}T06:00:00.000Z`}::text, 'backfilled', false)))`);

export const count = async (db: Db, query: SQL) => (await db.execute<{ n: number }>(query))[0].n;

/** reports__send jobs in the queue (waiting, running or failed). */
export const sendJobs = (db: Db) =>
  count(db, sql`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'reports__send'`);
