import { sql } from 'drizzle-orm';
import { index, integer, pgEnum, pgTable, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';

export const relabelStatus = pgEnum('relabel_status', ['running', 'done', 'cancelled']);

/**
 * A project's reclassification of its history : every thread the classifier labelled before
 * `startedAt` is due, and is done once the classifier has labelled it again (categorized_at moves past
 * startedAt) or a user has labelled it. The backfill machinery does the work (classification_batches with
 * this run). `done` is recorded when the run ends; while it runs it is `total` less what is still due.
 */
export const relabelRuns = pgTable(
  'relabel_runs',
  {
    id: uuid().primaryKey().defaultRandom(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    status: relabelStatus().notNull().default('running'),
    total: integer().notNull(),
    done: integer(),
    startedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp({ withTimezone: true }),
  },
  (t) => [
    // One run at a time per project: a second start is a unique violation (409).
    uniqueIndex('relabel_runs_one_running_key')
      .on(t.projectId)
      .where(sql`${t.status} = 'running'`),
    index('relabel_runs_project_started_idx').on(t.projectId, t.startedAt),
  ],
);
