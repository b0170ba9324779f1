import type { Task } from 'graphile-worker';
import { claimDueThreads, queuedBackfillThreads } from '../src/db/queries/classification.js';
import { scheduleSweep } from '../src/db/queries/jobs.js';
import type { TaskDeps } from './index.js';

/**
 * Finds unlabelled threads that no job is working on (never enqueued, handed back, category deleted, or
 * held past the timeout by a worker that died) and enqueues them in batch jobs, only as many as keep the
 * classifiers busy: the job table stays small however large the backlog. Runs every
 * SWEEP_INTERVAL_SECONDS, and at once when work appears (a finished batch, a new or deleted category).
 */
export function sweep({ db, config, log }: TaskDeps): Task {
  const target = config.BACKFILL_QUEUE_THREADS ?? 4 * config.CLASSIFIER_CONCURRENCY;
  return async () => {
    const room = target - (await queuedBackfillThreads(db, { timeoutSeconds: config.CLASSIFICATION_TIMEOUT_SECONDS }));
    // Claim only when a whole batch fits, so frequent kicks do not cut the backlog into tiny jobs.
    if (room >= Math.min(config.CLASSIFY_BATCH_SIZE, target)) {
      const { claimed, parked } = await claimDueThreads(db, {
        limit: room,
        batchSize: config.CLASSIFY_BATCH_SIZE,
        timeoutSeconds: config.CLASSIFICATION_TIMEOUT_SECONDS,
      });
      if (claimed + parked > 0) log.info({ claimed, parked }, 'classification sweep');
    }
    await scheduleSweep(db, config.SWEEP_INTERVAL_SECONDS);
  };
}
