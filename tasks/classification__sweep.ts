import type { Task } from 'graphile-worker';
import { claimDueThreads, queuedBackfillThreads, type SweepMark } from '../src/db/queries/classification.js';
import { scheduleSweep } from '../src/db/queries/jobs.js';
import { forgetOldRates } from '../src/db/queries/progress.js';
import type { TaskDeps } from './index.js';

/**
 * Finds unlabelled threads that no job is working on (never enqueued, handed back, category deleted, or
 * held past the timeout by a worker that died) and enqueues them in batch jobs, only as many as keep the
 * classifiers busy: the job table stays small however large the backlog. Runs every
 * SWEEP_INTERVAL_SECONDS, and at once when work appears (a finished batch, a new or deleted category).
 */
export function sweep({ db, config, log }: TaskDeps): Task {
  const target = config.BACKFILL_QUEUE_THREADS ?? 4 * config.CLASSIFIER_CONCURRENCY;
  // Where this process's last slice ended: an optimisation only (see claimDueThreads).
  let mark: SweepMark | null = null;
  return async (payload) => {
    const room = target - (await queuedBackfillThreads(db, { timeoutSeconds: config.CLASSIFICATION_TIMEOUT_SECONDS }));
    // Claim only when a whole batch fits, so frequent kicks do not cut the backlog into tiny jobs.
    if (room >= Math.min(config.CLASSIFY_BATCH_SIZE, target)) {
      const { claimed, parked, next } = await claimDueThreads(db, {
        limit: room,
        batchSize: config.CLASSIFY_BATCH_SIZE,
        timeoutSeconds: config.CLASSIFICATION_TIMEOUT_SECONDS,
        after: mark,
      });
      mark = next;
      if (claimed + parked > 0) log.info({ claimed, parked }, 'classification sweep');
    }
    if ((payload as { periodic?: boolean } | null)?.periodic) await forgetOldRates(db);
    await scheduleSweep(db, config.SWEEP_INTERVAL_SECONDS);
  };
}
