import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import pg from 'pg';
import { Logger, runMigrations } from 'graphile-worker';
import { projectFile } from '../runtime/paths.js';
import { MIGRATION_LOCK } from './locks.js';

const silentLogger = new Logger(() => () => {});

// add_job goes through graphile-worker's add_jobs, whose PL/pgSQL statements are planned once per session
// and then reused. Planned while the job table was small, its "clear the key of a locked job" UPDATE is a
// sequential scan of the whole table: 0.1 ms on an empty queue, 13 ms with 100,000 jobs queued (a worker
// outage), on every chat. Planned per call, it is an index lookup whatever the queue. Set again on every
// start: a graphile-worker upgrade that replaces the function would drop it.
const PLAN_ADD_JOBS_PER_CALL = `alter function graphile_worker.add_jobs(graphile_worker.job_spec[], boolean)
  set plan_cache_mode = force_custom_plan`;

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
    await client.unsafe(PLAN_ADD_JOBS_PER_CALL);
  } finally {
    await pool.end();
    await client.end();
  }
}
