import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { Uuid } from '../src/schemas/common.js';
import type { TaskDeps } from '../src/jobs/task.js';
import type { labeller } from '../src/labelling/labeller.js';
import { task } from '../src/jobs/task.js';

const Payload = Type.Object({
  project_id: Uuid(),
  thread_ids: Type.Array(Uuid(), { minItems: 1, maxItems: 1000 }),
});

/**
 * The live lane: a new thread's classification (added by the chat in the statement that writes the thread),
 * or a thread a user handed back. Run by the worker's live pool, which backfill batches never occupy.
 */
export function classifyThreads({ log }: TaskDeps, label: ReturnType<typeof labeller>): Task {
  return task(Payload, log, async (payload) => {
    await label({ projectId: payload.project_id, threadIds: payload.thread_ids, lane: 'live' });
  });
}
