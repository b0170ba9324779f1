import { bigint, index, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';

/**
 * Backfill batches in flight: the sweep's claim. A batch holds its threads (one project's) until
 * `claimedUntil`; its classification__batch job deletes it when done. The sweep leaves held threads
 * alone, counts held threads against BACKFILL_QUEUE_THREADS, and deletes batches past their time (a
 * worker that died), whose threads it then claims again. State of our own, so the sweep never reads
 * graphile-worker's private tables.
 */
export const classificationBatches = pgTable(
  'classification_batches',
  {
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    threadIds: uuid().array().notNull(),
    claimedUntil: timestamp({ withTimezone: true }).notNull(),
  },
  (t) => [index('classification_batches_claimed_until_idx').on(t.claimedUntil)],
);
