import { index, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { teams } from './teams.js';

export const projects = pgTable(
  'projects',
  {
    id: uuid().primaryKey().defaultRandom(),
    teamId: uuid()
      .notNull()
      .references(() => teams.id, { onDelete: 'cascade' }),
    projectName: text().notNull(),
    productName: text().notNull(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // Set by a delete: the project is gone for the API at once, and a projects__purge job removes its
    // data in batches, then the row.
    deletedAt: timestamp({ withTimezone: true }),
  },
  (t) => [index('projects_team_id_idx').on(t.teamId)],
);
