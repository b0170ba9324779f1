import pg from 'pg';
import type { Logger } from 'pino';
import { rootMessage } from '../observability/logger.js';

/**
 * graphile-worker's connection pool: ours, kept across its job pools' restarts, with handlers that live as
 * long as it does, so a connection that dies while idle or checked out (the database went away) is logged,
 * never an unhandled error that ends the process.
 */
export function jobConnections(databaseUrl: string, log: Logger): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
  // Said once per outage (every connection drops at once), not while the pool closes (shutdown). A
  // checked-out connection counts too: graphile-worker's LISTEN connection is always out, so an outage is
  // said even when no connection happened to be idle.
  let said = false;
  const lost = (err: Error) => {
    if (pool.ending || said) return;
    said = true;
    log.warn({ reason: rootMessage(err) }, 'worker: database connection lost');
  };
  pool.on('error', lost);
  pool.on('connect', (client) => {
    said = false;
    client.on('error', lost);
  });
  return pool;
}
