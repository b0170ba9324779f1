import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { projectIsLive } from '../src/db/queries/crawl-end.js';
import { recomputeSearchStats } from '../src/db/queries/search-stats.js';
import { Uuid } from '../src/schemas/common.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';

const Payload = Type.Object({ project_id: Uuid() });

/**
 * A project's word statistics for ranking, recomputed from its live sources' chunks a moment after they
 * changed (a burst of changes merges into one run: the job is keyed by the project).
 */
export function searchStats({ db, log }: Pick<TaskDeps, 'db' | 'log'>): Task {
  return task(Payload, log, async (p, job) => {
    if (!(await projectIsLive(db, p.project_id))) return;
    await recomputeSearchStats(db, p.project_id);
    job.log.debug({ project_id: p.project_id }, 'search statistics recomputed');
  });
}
