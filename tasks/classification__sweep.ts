import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import {
  claimDueThreads,
  heldBackfillThreads,
  nextBatchExpiry,
  releaseExpiredBatches,
  type SweepMark,
} from '../src/db/queries/backfill.js';
import { kickSweep, sweepAt } from '../src/jobs/specs.js';
import { forgetOldRates } from '../src/db/queries/progress.js';
import { claimRelabelThreads, finishRelabelRuns } from '../src/db/queries/relabel.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';

// graphile-worker's cron adds `_cron`; a kick (kickSweep) has an empty payload.
const Payload = Type.Object({ _cron: Type.Optional(Type.Object({})) });

// While a backlog lasts, the sweep runs again at once when it had room for a batch, or after this pause
// when the queue was full: one sweep at a time keeps the queue topped up, with no kick per finished batch.
const FULL_QUEUE_PAUSE_MS = 250;

/**
 * Finds unlabelled threads that nothing is working on (never enqueued, handed back, category deleted, or
 * held past the timeout by a worker that died), then the threads of running relabel runs, and enqueues
 * them as batches, only as many as keep the classifiers busy: the job table stays small however large the
 * backlog. Runs from the crontab every minute, at once when work appears (a worker starts, a category is
 * created or deleted, a relabel starts), and again and again while a backlog lasts.
 */
export function sweep({ db, config, log }: TaskDeps): Task {
  const target = config.BACKFILL_QUEUE_THREADS ?? 4 * config.CLASSIFIER_CONCURRENCY;
  const batch = Math.min(config.CLASSIFY_BATCH_SIZE, target);
  // Where this process's last slice ended: an optimisation only (see claimDueThreads).
  let mark: SweepMark | null = null;
  return task(Payload, log, async (payload, job) => {
    await releaseExpiredBatches(db);
    const room = target - (await heldBackfillThreads(db));
    if (room < batch) {
      // Full queue: a whole batch must fit, so the backlog is not cut into tiny jobs.
      await kickSweep(db, FULL_QUEUE_PAUSE_MS);
    } else {
      const { claimed, parked, next } = await claimDueThreads(db, {
        limit: room,
        batchSize: config.CLASSIFY_BATCH_SIZE,
        timeoutSeconds: config.CLASSIFICATION_TIMEOUT_SECONDS,
        after: mark,
      });
      mark = next;
      // Relabel runs take what room the unlabelled threads leave (new threads first).
      const left = next ? 0 : room - claimed - parked;
      const relabelled = await claimRelabelThreads(db, {
        limit: left,
        batchSize: config.CLASSIFY_BATCH_SIZE,
        timeoutSeconds: config.CLASSIFICATION_TIMEOUT_SECONDS,
      });
      if (claimed + parked + relabelled > 0) job.log.debug({ claimed, parked, relabelled }, 'classification sweep');
      // A full slice means more is waiting; otherwise the pass is over until the next minute or kick.
      if (next || (left > 0 && relabelled >= left)) await kickSweep(db);
    }
    await finishRelabelRuns(db);
    // A batch whose worker died is released the moment its time is up, not a sweep interval later.
    const expiry = await nextBatchExpiry(db);
    if (expiry) await sweepAt(db, expiry);
    if (payload._cron) await forgetOldRates(db);
  });
}
