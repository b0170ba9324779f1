import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import pg from 'pg';
import { Logger, runMigrations } from 'graphile-worker';
import { projectFile } from '../lib/paths.js';
import { MIGRATION_LOCK } from './locks.js';

const silentLogger = new Logger(() => () => {});

/** Applies our drizzle migrations and graphile-worker's own schema. Safe to run on every start. */
export async function migrateDatabase(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  // graphile-worker's migrations on a pool of ours, ended here: the one it would make itself is ended
  // without waiting, and an idle connection of it dying later (a database restart) would be an unhandled
  // error that ends the process.
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  pool.on('error', () => {});
  pool.on('connect', (c) => c.on('error', () => {}));
  try {
    // Two processes starting at once must not both migrate: serialise on an advisory lock.
    await client`select pg_advisory_lock(${MIGRATION_LOCK})`;
    await migrate(drizzle(client), { migrationsFolder: projectFile('drizzle') });
    await runMigrations({ pgPool: pool, logger: silentLogger });
  } finally {
    await pool.end();
    await client.end();
  }
}
