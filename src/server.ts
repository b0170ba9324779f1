import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { loadConfigOrExit, type Config } from './config.js';
import { closeDb, createDb, type Db } from './db/client.js';
import { migrateDatabase } from './db/migrate.js';
import { createLogger } from './observability/logger.js';
import { withDeadline } from './runtime/deadline.js';
import { closeGracefully, isMain } from './runtime/shutdown.js';

export type Server = Awaited<ReturnType<typeof buildApp>>;

/** Builds the app and listens. */
export async function startServer(deps: { config: Config; db: Db; log: Logger }): Promise<Server> {
  const app = await buildApp({ config: deps.config, db: deps.db, logger: deps.log });
  await app.listen({ port: deps.config.PORT, host: deps.config.HOST });
  return app;
}

/**
 * Stops accepting connections and waits up to `graceMs` for the requests in flight (new requests on open
 * keep-alive connections get 503 meanwhile); then closes whatever connection is left.
 */
export async function stopServer(app: Server, graceMs: number): Promise<void> {
  if (!(await withDeadline(app.close(), graceMs))) {
    app.log.warn({ graceMs }, 'requests still in flight at the deadline: closing their connections');
    app.server.closeAllConnections();
  }
}

/** The API's pool: every statement made for a request has a deadline (503 when it passes). */
export const apiDb = (url: string, config: Config) =>
  createDb(url, { max: config.DATABASE_POOL_SIZE, statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS });

if (isMain(import.meta.url)) {
  const config = loadConfigOrExit();
  const log = createLogger(config);
  if (!config.DATABASE_URL)
    throw new Error('start:api needs DATABASE_URL (npm start runs everything on an embedded PostgreSQL)');
  await migrateDatabase(config.DATABASE_URL);
  const db = apiDb(config.DATABASE_URL, config);
  const app = await startServer({ config, db, log });
  closeGracefully(log, [
    ['requests in flight', () => stopServer(app, config.SHUTDOWN_TIMEOUT_MS)],
    ['database pool', () => closeDb(db)],
  ]);
}
