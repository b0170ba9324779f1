import { createServer } from 'node:http';
import pg from 'pg';
import type { Logger } from 'pino';
import { loadConfigOrExit, type Config } from './config.js';
import { closeDb, createDb, type Db } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { createLogger, rootMessage } from './observability/logger.js';
import { withDeadline } from './runtime/deadline.js';
import { closeGracefully, isMain } from './runtime/shutdown.js';
import { createTaskLists } from './jobs/task-list.js';
import { kickSweep } from './jobs/specs.js';
import type { Classifier } from './models/classifier.js';
import { classifierModel } from './models/index.js';
import { observeBacklog, registry } from './observability/metrics.js';
import { startHeartbeat } from './jobs/heartbeat.js';
import { supervise, type Worker } from './jobs/pool.js';

/**
 * graphile-worker's pool: ours, kept across restarts, with handlers that live as long as it does, so a
 * connection that dies while idle or checked out (the database went away) is logged, never an unhandled
 * error.
 */
function jobPool(databaseUrl: string, log: Logger): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
  // Said once per outage (every idle connection drops at once), not while the pool closes (shutdown).
  let lost = false;
  pool.on('error', (err) => {
    if (pool.ending || lost) return;
    lost = true;
    log.warn({ reason: rootMessage(err) }, 'worker: database connection lost');
  });
  pool.on('connect', (client) => {
    lost = false;
    client.on('error', () => {});
  });
  return pool;
}

export type { Worker } from './jobs/pool.js';

/**
 * Starts graphile-worker with our tasks and crontab, and keeps it running. Any number of these may run
 * against one database. Two job pools: the live lane (new threads' classifications, WORKER_CONCURRENCY at
 * once) and the background lane (backfill batches, the sweep, reports: BACKGROUND_CONCURRENCY), so a new
 * thread's job never waits for a slot a backfill batch holds.
 */
export async function startWorker(deps: {
  config: Config;
  db: Db;
  log: Logger;
  databaseUrl: string;
  classifier?: Classifier;
}): Promise<Worker> {
  const { config, log } = deps;
  const tasks = createTaskLists({ ...deps, classifier: deps.classifier ?? classifierModel(config) });
  const pgPool = jobPool(deps.databaseUrl, log);
  // Also releases the jobs of workers that died without warning.
  const heartbeat = startHeartbeat({ db: deps.db, log, deadAfterSeconds: config.WORKER_DEAD_AFTER_SECONDS });
  const lanes = [
    await supervise({
      log,
      db: deps.db,
      pgPool,
      heartbeat,
      name: 'live',
      taskList: tasks.live,
      concurrency: config.WORKER_CONCURRENCY,
    }),
    await supervise({
      log,
      db: deps.db,
      pgPool,
      heartbeat,
      name: 'background',
      taskList: tasks.background,
      concurrency: config.BACKGROUND_CONCURRENCY,
      // A fresh deployment on top of unlabelled threads starts labelling them with no manual step.
      onLaunch: async () => {
        if (config.CATEGORISATION === 'on') await kickSweep(deps.db);
      },
    }),
  ];
  return {
    async stop(graceMs = config.SHUTDOWN_TIMEOUT_MS) {
      await Promise.all(lanes.map((l) => l.stop(graceMs)));
      await Promise.all([withDeadline(pgPool.end(), 500), heartbeat.stop()]);
    },
  };
}

if (isMain(import.meta.url)) {
  const config = loadConfigOrExit();
  const log = createLogger(config);
  if (!config.DATABASE_URL)
    throw new Error('start:worker needs DATABASE_URL (npm start runs everything on an embedded PostgreSQL)');
  await migrateDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, { max: config.DATABASE_POOL_SIZE });
  const worker = await startWorker({ config, db, log, databaseUrl: config.DATABASE_URL });
  // Alone, the worker serves its own metrics (classifier latency and failures, jobs) on METRICS_PORT.
  observeBacklog(db);
  const metrics = createServer(async (req, res) => {
    if (req.url !== '/metrics') return res.writeHead(404).end();
    res.writeHead(200, { 'content-type': registry.contentType }).end(await registry.metrics());
  });
  if (config.METRICS_PORT > 0) metrics.listen(config.METRICS_PORT, config.HOST);
  log.info({ metricsPort: config.METRICS_PORT }, 'worker started');
  closeGracefully(log, [
    ['metrics server', async () => void metrics.close()],
    ['jobs', () => worker.stop()],
    ['database pool', () => closeDb(db)],
  ]);
}
