import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { finishBatch, getBatch } from '../src/db/queries/backfill.js';
import { finishRelabelRuns } from '../src/db/queries/relabel.js';
import type { TaskDeps } from '../src/jobs/task.js';
import type { labeller } from '../src/labelling/labeller.js';
import { task } from '../src/jobs/task.js';

const Payload = Type.Object({ batch_id: Type.Integer({ minimum: 1 }) });

/**
 * The backfill lane: one batch the sweep claimed (src/db/queries/backfill.ts), of unlabelled threads or of a
 * relabel run's. Done, it releases the batch (and ends a relabel run with nothing left); a batch already
 * released (past its time: its threads were claimed again) is left alone.
 */
export function classifyBatch({ db, log }: TaskDeps, label: ReturnType<typeof labeller>): Task {
  return task(Payload, log, async (payload) => {
    const batch = await getBatch(db, { batchId: payload.batch_id });
    if (!batch) return;
    await label({
      projectId: batch.projectId,
      threadIds: batch.threadIds,
      lane: 'backfill',
      relabelRunId: batch.relabelRunId,
    });
    await finishBatch(db, { batchId: payload.batch_id });
    if (batch.relabelRunId) await finishRelabelRuns(db);
  });
}
