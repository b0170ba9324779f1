// What a reports__send job reads and writes: the report with its recipient, and its row locked, marked sent
// or dropped.
import { and, eq, isNull, sql } from 'drizzle-orm';
import { run, type DbOrTx, type Tx } from '../client.js';
import { sentReports, teams, users } from '../schema/index.js';

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
