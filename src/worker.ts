import { readFileSync } from 'node:fs';
import { run, type Runner } from 'graphile-worker';
import type { Logger } from 'pino';
import { loadConfigOrExit, type Config } from './config.js';
import { closeDb, createDb, type Db } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { createLogger, workerLogger } from './lib/logger.js';
import { isMain, onShutdown } from './lib/shutdown.js';
import { createTaskList } from '../tasks/index.js';

const crontab = readFileSync(new URL('../crontab', import.meta.url), 'utf8');

/** Starts graphile-worker with our tasks and crontab. Any number of these may run against one database. */
export async function startWorker(deps: { config: Config; db: Db; log: Logger; databaseUrl: string }): Promise<Runner> {
  return run({
    connectionString: deps.databaseUrl,
    concurrency: deps.config.WORKER_CONCURRENCY,
    maxPoolSize: Math.max(10, deps.config.WORKER_CONCURRENCY + 2),
    noHandleSignals: true,
    pollInterval: 1000,
    logger: workerLogger(deps.log),
    taskList: createTaskList(deps),
    crontab,
  });
}

/** Stops taking jobs, waits for running ones, and lets graphile-worker release its locks. */
export async function stopWorker(runner: Runner): Promise<void> {
  await runner.stop();
  // A stop was seen to leave a just-finished job locked for a moment: give the release time to land.
  await new Promise((r) => setTimeout(r, 200));
}

if (isMain(import.meta.url)) {
  const config = loadConfigOrExit();
  const log = createLogger(config);
  if (!config.DATABASE_URL) throw new Error('start:worker needs DATABASE_URL (npm start runs everything on an embedded PostgreSQL)');
  await migrateDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, 4);
  const runner = await startWorker({ config, db, log, databaseUrl: config.DATABASE_URL });
  log.info('worker started');
  onShutdown(log, async () => {
    await stopWorker(runner);
    await closeDb(db);
  });
}
