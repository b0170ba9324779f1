import type { Task } from 'graphile-worker';
import { Type } from '@sinclair/typebox';
import { startDueCrawls } from '../src/db/queries/crawl.js';
import type { TaskDeps } from '../src/jobs/task.js';
import { task } from '../src/jobs/task.js';

// graphile-worker's cron adds `_cron`.
const Payload = Type.Object({ _cron: Type.Optional(Type.Object({})) });

// Sources started per statement.
const SLICE = 100;

/** Every ten minutes (see `crontab`): the website sources whose next refresh is due start a new crawl. */
export function refreshDue({ db, log }: Pick<TaskDeps, 'db' | 'log'>): Task {
  return task(Payload, log, async (_payload, job) => {
    let total = 0;
    let started: string[];
    do {
      started = await startDueCrawls(db, SLICE);
      total += started.length;
    } while (started.length === SLICE);
    if (total > 0) job.log.info({ sources: total }, 'due sources: crawls started');
  });
}
