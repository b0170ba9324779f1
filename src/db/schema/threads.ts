import { sql } from 'drizzle-orm';
import { index, integer, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';

export const threads = pgTable(
  'threads',
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    // Denormalised so the list endpoint reads one row per thread, never the question_answers.
    firstQuestion: text().notNull(),
    totalQuestions: integer().notNull().default(1),
  },
  (t) => [
    // Keyset pagination, newest first, within one project.
    index('threads_project_created_idx').on(t.projectId, sql`${t.createdAt} desc`, sql`${t.id} desc`),
  ],
);
