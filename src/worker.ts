import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { run, type Runner } from 'graphile-worker';
import pg from 'pg';
import type { Logger } from 'pino';
import { loadConfigOrExit, type Config } from './config.js';
import { closeDb, createDb, type Db } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { createLogger, workerLogger } from './lib/logger.js';
import { isMain, onShutdown } from './lib/shutdown.js';
import { createTaskList } from '../tasks/index.js';
import { kickSweep } from './db/queries/jobs.js';
import { LimitedClassifier, StaticClassifier, type Classifier } from './lib/classifier.js';
import { jobsProcessed, observeBacklog, registry } from './lib/metrics.js';

const crontab = readFileSync(new URL('../crontab', import.meta.url), 'utf8');

export function defaultClassifier(config: Config): Classifier {
  return new LimitedClassifier(new StaticClassifier(config.CLASSIFIER_LATENCY_MS), config.CLASSIFIER_CONCURRENCY);
}

/** Starts graphile-worker with our tasks and crontab. Any number of these may run against one database. */
export async function startWorker(deps: {
  config: Config;
  db: Db;
  log: Logger;
  databaseUrl: string;
  classifier?: Classifier;
}): Promise<Runner> {
  const { config } = deps;
  // Our own pool, to log its errors: a database that goes away (Ctrl-C reaches the embedded PostgreSQL
  // too) would otherwise make an idle connection's error an unhandled exception.
  const pgPool = new pg.Pool({ connectionString: deps.databaseUrl, max: 20 });
  pgPool.on('error', (err) => deps.log.warn({ err: err.message }, 'graphile-worker connection lost'));
  const runner = await run({
    pgPool,
    concurrency: config.WORKER_CONCURRENCY,
    noHandleSignals: true,
    pollInterval: 1000,
    logger: workerLogger(deps.log),
    taskList: createTaskList({ ...deps, classifier: deps.classifier ?? defaultClassifier(config) }),
    crontab,
  });
  runner.events.on('job:success', ({ job }) => jobsProcessed.inc({ task: job.task_identifier, outcome: 'success' }));
  runner.events.on('job:error', ({ job }) => jobsProcessed.inc({ task: job.task_identifier, outcome: 'error' }));
  // A fresh deployment on top of unlabelled threads starts labelling them with no manual step.
  if (config.CATEGORISATION === 'on') await kickSweep(deps.db);
  pools.set(runner, pgPool);
  return runner;
}

const pools = new WeakMap<Runner, pg.Pool>();

/** Stops taking jobs, waits for running ones, and lets graphile-worker release its locks. */
export async function stopWorker(runner: Runner): Promise<void> {
  await runner.stop();
  // A stop was seen to leave a just-finished job locked for a moment: give the release time to land.
  await new Promise((r) => setTimeout(r, 200));
  await pools.get(runner)?.end();
}

if (isMain(import.meta.url)) {
  const config = loadConfigOrExit();
  const log = createLogger(config);
  if (!config.DATABASE_URL) throw new Error('start:worker needs DATABASE_URL (npm start runs everything on an embedded PostgreSQL)');
  await migrateDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const runner = await startWorker({ config, db, log, databaseUrl: config.DATABASE_URL });
  // Alone, the worker serves its own metrics (classifier latency and failures, jobs) on METRICS_PORT.
  observeBacklog(db);
  const metrics = createServer(async (req, res) => {
    if (req.url !== '/metrics') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  });
  if (config.METRICS_PORT > 0) metrics.listen(config.METRICS_PORT, config.HOST);
  log.info({ metricsPort: config.METRICS_PORT }, 'worker started');
  onShutdown(log, async () => {
    metrics.close();
    await stopWorker(runner);
    await closeDb(db);
  });
}
