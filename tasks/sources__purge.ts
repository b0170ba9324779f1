import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { addSearchStats, addSourcePurgeStep, purgeSourceBatch } from '../src/db/queries/crawl-end.js';
import { Uuid } from '../src/schemas/common.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';

const Payload = Type.Object({ source_id: Uuid() });

// Documents per transaction (each takes its chunks with it), and batches per job: then the next step is
// queued, so the lane's other jobs get their turn and a shutdown never waits for a whole purge.
export const DOCUMENTS_PER_BATCH = 500;
const BATCHES_PER_JOB = 20;

/**
 * Removes a deleted source's rows (the delete made it invisible at once): its documents batch by batch, then
 * its row; then its project's word statistics are recomputed. Every step deletes what is still there.
 */
export function purgeSource({ db, log }: Pick<TaskDeps, 'db' | 'log'>): Task {
  return task(Payload, log, async (p, { helpers, log: jobLog }) => {
    let documents = 0;
    for (let batch = 0; batch < BATCHES_PER_JOB && !helpers.abortSignal?.aborted; batch++) {
      const r = await purgeSourceBatch(db, p.source_id, DOCUMENTS_PER_BATCH);
      if (!r) return void jobLog.info({ source_id: p.source_id }, 'source purge: nothing to do');
      documents += r.documents;
      if (r.removed) {
        await addSearchStats(db, r.projectId);
        return void jobLog.info({ source_id: p.source_id, documents }, 'source purged');
      }
    }
    await addSourcePurgeStep(db, p.source_id);
    jobLog.info({ source_id: p.source_id, documents }, 'source purge: step done, the next one queued');
  });
}
