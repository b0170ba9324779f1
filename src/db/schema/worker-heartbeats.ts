import { pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per live graphile-worker pool, touched every few seconds. A pool whose row has gone stale has
 * died without warning (SIGKILL, out of memory, its machine lost): the live workers release its jobs
 * with graphile_worker.force_unlock_workers instead of waiting for graphile-worker's 4-hour lock timeout.
 */
export const workerHeartbeats = pgTable('worker_heartbeats', {
  workerId: text().primaryKey(),
  seenAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
});
