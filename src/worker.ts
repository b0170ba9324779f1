import Fastify from 'fastify';
import type { Logger } from 'pino';
import { loadConfigOrExit, type Config } from './config.js';
import { closeDb, createDb, type Db } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { startHeartbeat } from './jobs/heartbeat.js';
import { jobConnections } from './jobs/pg-pool.js';
import { kickSweep } from './jobs/specs.js';
import { Supervisor, type Worker } from './jobs/supervisor.js';
import { createTaskLists } from './jobs/task-list.js';
import type { Classifier } from './models/classifier.js';
import { classifierModel } from './models/index.js';
import { createLogger } from './observability/logger.js';
import { observeBacklog } from './observability/metrics.js';
import { metricsRoute } from './observability/metrics-route.js';
import { withDeadline } from './runtime/deadline.js';
import { closeGracefully, isMain } from './runtime/shutdown.js';
import { createFetcher } from './sources/fetch.js';

export type { Worker } from './jobs/supervisor.js';

/**
 * Starts graphile-worker with our tasks and crontab, and keeps it running. Any number of these may run
 * against one database. Two lanes, each its own job pool: the live lane (new threads' classifications,
 * WORKER_CONCURRENCY at once) and the background lane (backfill batches, the sweep, reports:
 * BACKGROUND_CONCURRENCY), so a new thread's job never waits for a slot a backfill batch holds.
 */
export async function startWorker(deps: {
  config: Config;
  db: Db;
  log: Logger;
  databaseUrl: string;
  classifier?: Classifier;
}): Promise<Worker> {
  const { config, db, log } = deps;
  // One crawler connection pool for the process (keep-alive across a site's pages), closed once the jobs stop.
  const fetcher = createFetcher({ allowPrivate: config.SOURCES_ALLOW_PRIVATE, timeoutMs: config.CRAWL_TIMEOUT_MS });
  const tasks = createTaskLists({ ...deps, classifier: deps.classifier ?? classifierModel(config), fetcher });
  const pgPool = jobConnections(deps.databaseUrl, log);
  // Also releases the jobs of workers that died without warning.
  const heartbeat = startHeartbeat({ db, log, deadAfterSeconds: config.WORKER_DEAD_AFTER_SECONDS });
  const lane = { log, db, pgPool, heartbeat };
  const lanes = [
    await Supervisor.start({ ...lane, name: 'live', taskList: tasks.live, concurrency: config.WORKER_CONCURRENCY }),
    await Supervisor.start({
      ...lane,
      name: 'background',
      taskList: tasks.background,
      concurrency: config.BACKGROUND_CONCURRENCY,
      // A fresh deployment on top of unlabelled threads starts labelling them with no manual step.
      onLaunch: async () => {
        if (config.CATEGORISATION === 'on') await kickSweep(db);
      },
    }),
  ];
  return {
    async stop(graceMs = config.SHUTDOWN_TIMEOUT_MS) {
      await Promise.all(lanes.map((l) => l.stop(graceMs)));
      await Promise.all([withDeadline(pgPool.end(), 500), heartbeat.stop(), withDeadline(fetcher.close(), 500)]);
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
  const metrics = Fastify({ logger: false }).register(metricsRoute);
  // A port another program holds ends the process through closeGracefully, which says so in words.
  if (config.METRICS_PORT > 0) void metrics.listen({ port: config.METRICS_PORT, host: config.HOST });
  log.info({ metricsPort: config.METRICS_PORT }, 'worker started');
  closeGracefully(log, [
    ['metrics server', async () => void (await metrics.close())],
    ['jobs', () => worker.stop()],
    ['database pool', () => closeDb(db)],
  ]);
}
