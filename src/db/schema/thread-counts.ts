import { sql } from 'drizzle-orm';
import { index, integer, pgTable, timestamp, unique, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';

/**
 * Threads per project, UTC hour of created_at and the label they carry now: the rollup the category time
 * series sums instead of counting threads. Maintained by triggers on threads (migrations 0007 and 0011), so
 * every writer is covered in the transaction of its change. A small change is appended to
 * thread_count_deltas (insert-only, so concurrent writers never wait on a shared counter row), and the
 * thread_counts__compact task folds the deltas in here every minute, or within seconds of a statement that
 * appended many. A bulk statement (thousands of hour-and-label keys: a seed, a relabel in one UPDATE) folds
 * its counts in here itself, so it never leaves thousands of deltas for the time series to sum. A count is
 * this table's row plus its deltas; rows that fall to 0 are deleted.
 */
export const threadCounts = pgTable(
  'thread_counts',
  {
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    hour: timestamp({ withTimezone: true }).notNull(),
    categoryId: uuid(),
    threads: integer().notNull(),
  },
  (t) => [
    unique('thread_counts_key').on(t.projectId, t.hour, t.categoryId).nullsNotDistinct(),
    // The hours that hold unlabelled threads, newest first: the threads list's `category_id=none` reads only
    // those hours of threads (see listThreads).
    index('thread_counts_unlabelled_idx')
      .on(t.projectId, t.hour)
      .where(sql`${t.categoryId} is null`),
  ],
);

/** Changes to thread_counts not yet compacted: +n / −n threads per (project, hour, label). */
export const threadCountDeltas = pgTable(
  'thread_count_deltas',
  {
    // No foreign key: a project's threads deleted with it append deltas the compaction then drops.
    projectId: uuid().notNull(),
    hour: timestamp({ withTimezone: true }).notNull(),
    categoryId: uuid(),
    threads: integer().notNull(),
  },
  (t) => [index('thread_count_deltas_project_hour_idx').on(t.projectId, t.hour)],
);
