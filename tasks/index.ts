import type { TaskList } from 'graphile-worker';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/client.js';
import { CLASSIFY_TASK, SWEEP_TASK } from '../src/db/queries/jobs.js';
import { FAN_OUT_TASK, SEND_REPORT_TASK } from '../src/db/queries/reports.js';
import type { Classifier } from '../src/models/classifier.js';
import { sweep } from './classification__sweep.js';
import { fanOutReports } from './reports__fan_out.js';
import { sendReport } from './reports__send.js';
import { classifyThreads } from './threads__classify.js';

export interface TaskDeps {
  config: Config;
  db: Db;
  log: Logger;
  classifier: Classifier;
}

/** Every graphile-worker task, by identifier (resource__action). */
export function createTaskList(deps: TaskDeps): TaskList {
  // With categorisation off, this worker takes no classification job: they wait in the queue.
  const classification: TaskList =
    deps.config.CATEGORISATION === 'on' ? { [CLASSIFY_TASK]: classifyThreads(deps), [SWEEP_TASK]: sweep(deps) } : {};
  return { ...classification, [FAN_OUT_TASK]: fanOutReports(deps), [SEND_REPORT_TASK]: sendReport(deps) };
}
