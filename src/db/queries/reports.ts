// The report fan-out: one sent_reports row and one reports__send job per user whose digest is due, and the
// state of a period's reports (the reports CLI). A report's sending is in report-send.ts, its figures in
// report-usage.ts.
import { sql } from 'drizzle-orm';
import { rows, type DbOrTx } from '../client.js';
import { type DuePeriod } from '../../reports/schedule.js';
import { sendReportJob, sendReportKey } from '../../jobs/specs.js';

const duePeriodsTable = (periods: DuePeriod[]) =>
  sql`(values ${sql.join(
    periods.map((p) => sql`(${p.interval}::digest_interval, ${p.start}::date, ${p.end}::date)`),
    sql`, `,
  )}) as due(digest_interval, period_start, period_end)`;

/**
 * The fan-out: one sent_reports row per user whose digest interval is due, and one job per row that did
 * not exist yet, in one statement. The unique (user, period, interval) makes a second run (cron firing
 * twice, two workers, an operator) insert nothing and therefore enqueue nothing. Returns the new rows.
 */
export async function queueDueReports(db: DbOrTx, p: { periods: DuePeriod[] }): Promise<number> {
  if (p.periods.length === 0) return 0;
  const created = await rows<{ id: string }>(
    db,
    sql`
    with created as (
      insert into sent_reports (user_id, digest_interval, period_start, period_end)
      select u.id, due.digest_interval, due.period_start, due.period_end
      from users u join ${duePeriodsTable(p.periods)} on u.digest_interval = due.digest_interval
      on conflict (user_id, period_start, digest_interval) do nothing
      returning id
    )
    select created.id, (${sendReportJob(sql`created.id`)}).id as job from created`,
  );
  return created.length;
}

/**
 * Queues again, to run now, every report of these periods that is still pending and whose job is not
 * running: one that waits out an SMTP backoff, or whose job gave up. The job key keeps it to one job.
 */
export async function requeuePendingReports(db: DbOrTx, p: { periods: DuePeriod[] }): Promise<number> {
  if (p.periods.length === 0) return 0;
  const requeued = await rows<{ id: string }>(
    db,
    sql`
    select r.id, (${sendReportJob(sql`r.id`)}).id as job
    from sent_reports r
    join ${duePeriodsTable(p.periods)}
      on r.period_end = due.period_end and r.digest_interval = due.digest_interval and r.period_start = due.period_start
    where r.sent_at is null
      and not exists (select 1 from graphile_worker.jobs j
                      where j.key = ${sendReportKey(sql`r.id`)} and j.locked_at is not null)`,
  );
  return requeued.length;
}

/**
 * How many reports of these periods went out, how many are pending (queued, being sent by some worker, or
 * waiting to retry) and, of those, how many failed their last attempt or have no job left.
 */
export async function reportStatus(
  db: DbOrTx,
  p: { periods: DuePeriod[] },
): Promise<{ sent: number; pending: number; failed: number }> {
  if (p.periods.length === 0) return { sent: 0, pending: 0, failed: 0 };
  const [row] = await rows<{ sent: number; pending: number; failed: number }>(
    db,
    sql`
    select count(r.sent_at)::int as sent, (count(*) - count(r.sent_at))::int as pending,
      count(*) filter (where r.sent_at is null and (j.id is null or (j.last_error is not null and j.locked_at is null)))::int as failed
    from sent_reports r
    join ${duePeriodsTable(p.periods)}
      on r.period_end = due.period_end and r.digest_interval = due.digest_interval and r.period_start = due.period_start
    left join graphile_worker.jobs j on j.key = ${sendReportKey(sql`r.id`)}`,
  );
  return row;
}
