import { integer, pgTable, primaryKey, timestamp, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';

/**
 * Threads labelled by the classifier, per project and minute: the classification rate across every
 * worker process, for the admin API and `npm run backfill`, without an index on threads.categorized_at.
 * Rows older than a day are deleted by the sweep.
 */
export const classificationMinutes = pgTable(
  'classification_minutes',
  {
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    minute: timestamp({ withTimezone: true }).notNull(),
    labelled: integer().notNull(),
  },
  (t) => [primaryKey({ columns: [t.projectId, t.minute] })],
);
