import { sql } from 'drizzle-orm';
import { date, index, pgTable, text, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { digestInterval, users } from './users.js';

/**
 * One row per usage report due (user, interval, period), written by the fan-out before any mail goes out.
 * The unique constraint is what makes a report go out once: a second fan-out for the same period inserts
 * nothing and so enqueues nothing. `sent_at` null = pending (queued, or waiting for an SMTP retry).
 */
export const sentReports = pgTable(
  'sent_reports',
  {
    id: uuid().primaryKey().defaultRandom(),
    userId: uuid()
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    digestInterval: digestInterval().notNull(),
    // UTC days; the period is [period_start, period_end).
    periodStart: date({ mode: 'string' }).notNull(),
    periodEnd: date({ mode: 'string' }).notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    sentAt: timestamp({ withTimezone: true }),
    messageId: text(),
  },
  (t) => [
    unique('sent_reports_user_period_key').on(t.userId, t.periodStart, t.digestInterval),
    // `reports send` re-queues the pending reports of a date: only pending rows are indexed.
    index('sent_reports_pending_idx')
      .on(t.periodEnd)
      .where(sql`${t.sentAt} is null`),
  ],
);
