import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { compactThreadCounts } from '../src/db/queries/thread-counts.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';

// graphile-worker's cron adds `_cron`.
const Payload = Type.Object({ _cron: Type.Optional(Type.Object({})) });

// Deltas folded per transaction: a backfill appends about two per thread it labels.
const SLICE = 20_000;

/**
 * Every minute (see `crontab`), and a few seconds after a statement appended many deltas (the triggers on
 * threads queue it, keyed so that requests merge into one queued job): folds the time series' deltas into
 * thread_counts, slice by slice until none are left, so the query sums few rows. Counts are right whether
 * or not it has run.
 */
export function compactCounts({ db, log }: Pick<TaskDeps, 'db' | 'log'>): Task {
  return task(Payload, log, async (_payload, job) => {
    let total = 0;
    let moved: number;
    do {
      moved = await compactThreadCounts(db, SLICE);
      total += moved;
    } while (moved === SLICE);
    if (total > 0) job.log.debug({ deltas: total }, 'thread counts compacted');
  });
}
