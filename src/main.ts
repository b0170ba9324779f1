// `npm start`: the whole service in one process. Without DATABASE_URL it starts an embedded PostgreSQL
// whose data stays in EMBEDDED_PG_DIR between runs.
import { loadConfigOrExit } from './config.js';
import { closeDb, createDb } from './db/client.js';
import { DEV_DATABASE, startEmbeddedPostgres } from './db/embedded.js';
import { migrateDatabase } from './db/migrate.js';
import { createDemoProject } from './lib/demo.js';
import { createLogger } from './lib/logger.js';
import { onShutdown } from './lib/shutdown.js';
import { startServer } from './server.js';
import { startWorker, stopWorker } from './worker.js';

const config = loadConfigOrExit();
const log = createLogger(config);

const embedded = config.DATABASE_URL
  ? null
  : await startEmbeddedPostgres({
      dir: config.EMBEDDED_PG_DIR,
      port: config.EMBEDDED_PG_PORT,
      persistent: true,
      onLog: (line) => log.debug({ postgres: line }),
    });
const databaseUrl = config.DATABASE_URL ?? (await embedded!.url(DEV_DATABASE));
if (embedded) log.info({ dir: config.EMBEDDED_PG_DIR, port: config.EMBEDDED_PG_PORT }, 'embedded PostgreSQL started');

await migrateDatabase(databaseUrl);
const db = createDb(databaseUrl, config.DATABASE_POOL_SIZE);
const demo = await createDemoProject(db);
const app = await startServer({ config, db, log });
const runner = await startWorker({ config, db, log, databaseUrl });

const base = `http://${config.HOST === '0.0.0.0' ? '127.0.0.1' : config.HOST}:${config.PORT}`;
if (demo) {
  console.log(`
Demo project ready (shown once: the key is stored only as a hash).
  project id: ${demo.projectId}
  API key:    ${demo.key}

Try it:
  curl -s -X POST ${base}/query/v1/projects/${demo.projectId}/chat \\
    -H 'X-API-KEY: ${demo.key}' -H 'Content-Type: application/json' \\
    -d '{"question": "What are the system requirements?"}'

API docs: ${base}/docs
`);
} else {
  console.log(`\nService running at ${base} (API docs: ${base}/docs). Keys: npm run admin -- keys create --project <id> --name <name>\n`);
}

onShutdown(log, async () => {
  await app.close();
  await stopWorker(runner);
  await closeDb(db);
  await embedded?.stop();
});
