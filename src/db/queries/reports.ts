import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { rows, run, type DbOrTx, type Tx } from '../client.js';
import { projects, sentReports, teams, users } from '../schema/index.js';
import { dayStart, type DuePeriod, type Period } from '../../reports/schedule.js';
import { categoryStats } from './categories.js';
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

/** A report with its recipient and team, or null when it is gone (the user was deleted). */
export async function getReport(db: DbOrTx, p: { reportId: string }) {
  const [row] = await run(
    db
      .select({
        id: sentReports.id,
        userId: sentReports.userId,
        interval: sentReports.digestInterval,
        periodStart: sentReports.periodStart,
        periodEnd: sentReports.periodEnd,
        sentAt: sentReports.sentAt,
        email: users.email,
        firstName: users.firstName,
        lastName: users.lastName,
        userInterval: users.digestInterval,
        teamId: teams.id,
        teamName: teams.name,
      })
      .from(sentReports)
      .innerJoin(users, eq(users.id, sentReports.userId))
      .innerJoin(teams, eq(teams.id, users.teamId))
      .where(eq(sentReports.id, p.reportId)),
  );
  return row ?? null;
}
export type Report = NonNullable<Awaited<ReturnType<typeof getReport>>>;

const pending = (reportId: string) => and(eq(sentReports.id, reportId), isNull(sentReports.sentAt));

/** Drops a report not sent yet (its user opted out since the fan-out). */
export async function deletePendingReport(db: DbOrTx, p: { reportId: string }): Promise<void> {
  await run(db.delete(sentReports).where(pending(p.reportId)));
}

/**
 * Locks the report row until the caller's transaction ends, if it is still pending. A second job for the
 * same report waits here, then finds it sent: the lock, not a check before it, is what stops a duplicate.
 */
export async function lockPendingReport(tx: Tx, p: { reportId: string }): Promise<boolean> {
  const locked = await run(
    tx.select({ id: sentReports.id }).from(sentReports).where(pending(p.reportId)).for('update'),
  );
  return locked.length > 0;
}

export async function markReportSent(tx: Tx, p: { reportId: string; messageId: string }): Promise<void> {
  await run(
    tx
      .update(sentReports)
      .set({ sentAt: sql`now()`, messageId: p.messageId })
      .where(eq(sentReports.id, p.reportId)),
  );
}

export async function teamProjects(db: DbOrTx, p: { teamId: string }) {
  return run(
    db
      .select({ id: projects.id, projectName: projects.projectName, productName: projects.productName })
      .from(projects)
      .where(and(eq(projects.teamId, p.teamId), isNull(projects.deletedAt)))
      .orderBy(asc(projects.createdAt), asc(projects.id)),
  );
}

export interface Counts {
  current: number;
  previous: number;
}

export interface ProjectUsage {
  questions: Counts;
  threads: Counts;
  /** Threads of the period that carry a label, and those whose label a user set. */
  labelled: Counts;
  userLabels: Counts;
  /** Every category of the project (zero included), then `null`: unlabelled. */
  categories: { name: string | null; counts: Counts }[];
}

/**
 * One project's usage in a period and in the period before it (which ends where this one starts).
 * Questions are question_answers created in the period (first questions and follow-ups); threads, labels
 * and categories are about the threads created in the period, labelled as they are now.
 */
export async function projectUsage(
  db: DbOrTx,
  p: { projectId: string; period: Period; previous: Period },
): Promise<ProjectUsage> {
  const [from, split, to] = [p.previous.start, p.period.start, p.period.end].map(dayStart);
  const [row] = await rows<Record<string, number>>(
    db,
    sql`
    select q.*, t.* from
      (select count(*) filter (where created_at >= ${split}::timestamptz)::int as questions,
              count(*) filter (where created_at < ${split}::timestamptz)::int as previous_questions
       from question_answers
       where project_id = ${p.projectId} and created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz) q,
      (select count(*) filter (where created_at >= ${split}::timestamptz)::int as threads,
              count(*) filter (where created_at < ${split}::timestamptz)::int as previous_threads,
              count(category_id) filter (where created_at >= ${split}::timestamptz)::int as labelled,
              count(category_id) filter (where created_at < ${split}::timestamptz)::int as previous_labelled,
              count(*) filter (where category_source = 'user' and created_at >= ${split}::timestamptz)::int as user_labels,
              count(*) filter (where category_source = 'user' and created_at < ${split}::timestamptz)::int as previous_user_labels
       from threads
       where project_id = ${p.projectId} and created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz) t`,
  );
  const counts = (name: string): Counts => ({ current: row[name], previous: row[`previous_${name}`] });

  const current = await categoryStats(db, { projectId: p.projectId, createdAfter: split, createdBefore: to });
  const before = await categoryStats(db, { projectId: p.projectId, createdAfter: from, createdBefore: split });
  const previousById = new Map(before.map((c) => [c.id, c.count]));
  return {
    questions: counts('questions'),
    threads: counts('threads'),
    labelled: counts('labelled'),
    userLabels: counts('user_labels'),
    categories: current.map((c) => ({
      name: c.name,
      counts: { current: c.count, previous: previousById.get(c.id) ?? 0 },
    })),
  };
}
