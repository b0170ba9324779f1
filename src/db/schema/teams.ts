import { pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const teams = pgTable('teams', {
  id: uuid().primaryKey().defaultRandom(),
  name: text().notNull(),
  createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  // Set by a cascading delete: the team is gone for the API at once; its row goes with its last project.
  deletedAt: timestamp({ withTimezone: true }),
});
