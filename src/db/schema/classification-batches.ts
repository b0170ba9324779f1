import { bigint, index, pgTable, timestamp, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';
import { relabelRuns } from './relabel-runs.js';

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
    // Set for a relabel run's batch: its threads are labelled again, not labelled for the first time.
    relabelRunId: uuid().references(() => relabelRuns.id, { onDelete: 'cascade' }),
  },
  (t) => [index('classification_batches_claimed_until_idx').on(t.claimedUntil)],
);
