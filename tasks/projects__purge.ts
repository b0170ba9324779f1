import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { addPurgeStep } from '../src/jobs/specs.js';
import { purgeProjectRows, purgeStatus, purgeThreadBatch, removeProjectRow } from '../src/db/queries/purge.js';
import { purgeProjectSources } from '../src/db/queries/crawl-end.js';
import type { Position } from '../src/schemas/cursor.js';
import { Uuid } from '../src/schemas/common.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';

const Payload = Type.Object({
  project_id: Uuid(),
  // Where the previous step stopped (threads newest first); absent: from the newest.
  after: Type.Optional(Type.Object({ at: Type.String(), id: Uuid() })),
});

// Threads (with their question-answers and feedback) per transaction: each one short, so the locks it
// takes and the dead rows it leaves stay small, and other projects' writes never wait long.
export const THREADS_PER_BATCH = 5000;
// Batches per job: then the next step is queued, so the lane's other jobs get their turn and a shutdown
// never waits for a whole purge.
export const BATCHES_PER_JOB = 10;
// Rows per transaction in the other tables (categories, the time series, relabel runs...).
const ROWS_PER_BATCH = 10_000;
// Documents of its knowledge sources per transaction (each takes its chunks with it).
const DOCUMENTS_PER_BATCH = 500;

/**
 * Removes a deleted project's data (the delete itself, in the request, made it unreachable: row marked,
 * keys and webhooks gone): threads batch by batch, then every other table that refers to the project, then
 * the project's row, and its team's row if the team was deleted and this was its last project. Every step
 * deletes what is still there: a purge killed at any point runs again and continues.
 */
export function purgeProject({ db, log }: Pick<TaskDeps, 'db' | 'log'>): Task {
  return task(Payload, log, async (payload, { helpers, log: jobLog }) => {
    const projectId = payload.project_id;
    const status = await purgeStatus(db, projectId);
    if (status !== 'deleted') {
      // Gone: an earlier run finished. Live: never purge a project nobody deleted.
      jobLog.info({ project_id: projectId, status }, 'project purge: nothing to do');
      return;
    }
    let after: Position | null = payload.after ?? null;
    let threads = 0;
    for (let batch = 0; batch < BATCHES_PER_JOB && !helpers.abortSignal?.aborted; batch++) {
      const started = performance.now();
      const r = await purgeThreadBatch(db, { projectId, limit: THREADS_PER_BATCH, after });
      threads += r.threads;
      const ms = Math.round(performance.now() - started);
      jobLog.debug(
        { project_id: projectId, threads: r.threads, question_answers: r.questionAnswers, feedback: r.feedback, ms },
        'project purge: batch deleted',
      );
      if (r.threads === THREADS_PER_BATCH) {
        after = r.last;
        continue;
      }
      if (after) {
        // The end of the pass: once more from the newest, for threads a request in flight added meanwhile.
        after = null;
        continue;
      }
      // Knowledge sources first, a few hundred documents per transaction: their chunks go with them.
      const documents = await purgeProjectSources(db, projectId, DOCUMENTS_PER_BATCH);
      const rows = await purgeProjectRows(db, { projectId, limit: ROWS_PER_BATCH });
      const { teamRemoved } = await removeProjectRow(db, { projectId });
      jobLog.info({ project_id: projectId, threads, documents, rows, team_removed: teamRemoved }, 'project purged');
      return;
    }
    await addPurgeStep(db, projectId, after);
    jobLog.info({ project_id: projectId, threads }, 'project purge: step done, the next one queued');
  });
}
