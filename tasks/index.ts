import type { TaskList } from 'graphile-worker';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import type { Db } from '../src/db/client.js';

export interface TaskDeps {
  config: Config;
  db: Db;
  log: Logger;
}

/** Every graphile-worker task, by identifier (resource__action). */
export function createTaskList(_deps: TaskDeps): TaskList {
  return {};
}
