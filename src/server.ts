import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { loadConfigOrExit, type Config } from './config.js';
import { closeDb, createDb, type Db } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { createLogger } from './lib/logger.js';
import { isMain, onShutdown } from './lib/shutdown.js';

/** Builds the app and listens. close() stops accepting and waits for in-flight requests. */
export async function startServer(deps: { config: Config; db: Db; log: Logger }) {
  const app = await buildApp({ config: deps.config, db: deps.db, logger: deps.log });
  await app.listen({ port: deps.config.PORT, host: deps.config.HOST });
  return app;
}

if (isMain(import.meta.url)) {
  const config = loadConfigOrExit();
  const log = createLogger(config);
  if (!config.DATABASE_URL) throw new Error('start:api needs DATABASE_URL (npm start runs everything on an embedded PostgreSQL)');
  await migrateDatabase(config.DATABASE_URL);
  const db = createDb(config.DATABASE_URL, config.DATABASE_POOL_SIZE);
  const app = await startServer({ config, db, log });
  onShutdown(log, async () => {
    await app.close();
    await closeDb(db);
  });
}
