import { sql } from 'drizzle-orm';
import { index, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { teams } from './teams.js';

export const digestInterval = pgEnum('digest_interval', ['WEEKLY', 'BIWEEKLY', 'MONTHLY']);
export type DigestInterval = (typeof digestInterval.enumValues)[number];

export const users = pgTable(
  'users',
  {
    id: uuid().primaryKey().defaultRandom(),
    teamId: uuid()
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    email: text().notNull(),
    firstName: text(),
    lastName: text(),
    digestInterval: digestInterval(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    // Email is unique regardless of case: Alice@x.com and alice@x.com are one person.
    uniqueIndex('users_email_lower_key').on(sql`lower(${t.email})`),
    index('users_team_id_idx').on(t.teamId),
  ],
);
