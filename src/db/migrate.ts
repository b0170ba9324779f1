import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { Logger, runMigrations } from 'graphile-worker';

const silentLogger = new Logger(() => () => {});

const migrationsFolder = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../drizzle');

/** Applies our drizzle migrations and graphile-worker's own schema. Safe to run on every start. */
export async function migrateDatabase(url: string): Promise<void> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    // Two processes starting at once must not both migrate: serialise on an advisory lock.
    await client`select pg_advisory_lock(7262001)`;
    await migrate(drizzle(client), { migrationsFolder });
    await runMigrations({ connectionString: url, logger: silentLogger });
  } finally {
    await client.end();
  }
}
