import { realpathSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { DEV_DATABASE, embeddedUrl, exitOnLocalDatabaseError, LocalDatabaseError } from './local.js';

const PROBE_MS = 5000;

const sameFolder = (a: string, b: string) => {
  const real = (p: string) => {
    try {
      return realpathSync(p);
    } catch {
      return path.resolve(p);
    }
  };
  return real(a) === real(b);
};

/**
 * For command-line tools: the database `npm start` uses. With DATABASE_URL, that; otherwise the embedded
 * server of this checkout's data folder: the one already running (`npm start`), or one started for the
 * duration of the command. A server on the port that serves another folder (another checkout's, or one
 * started with another EMBEDDED_PG_DIR) is refused, never used.
 */
export async function openDevDatabase(config: {
  DATABASE_URL?: string;
  EMBEDDED_PG_DIR: string;
  EMBEDDED_PG_PORT: number;
}): Promise<{ url: string; release: () => Promise<void> }> {
  if (config.DATABASE_URL) return { url: config.DATABASE_URL, release: async () => {} };
  const dir = path.resolve(config.EMBEDDED_PG_DIR);
  const port = config.EMBEDDED_PG_PORT;
  const probe = postgres(embeddedUrl(port, 'postgres'), { max: 1, connect_timeout: 2, onnotice: () => {} });
  let served: string | null;
  try {
    // A program on the port that is not PostgreSQL may never answer the driver: the probe has a deadline.
    const deadline = sleep(PROBE_MS, undefined, { ref: false }).then(() => {
      throw new Error(`no PostgreSQL answer within ${PROBE_MS / 1000} s`);
    });
    const [row] = await Promise.race([probe<{ data_directory: string }[]>`show data_directory`, deadline]);
    served = row.data_directory;
    if (sameFolder(served, dir)) {
      const [exists] = await probe`select 1 from pg_database where datname = ${DEV_DATABASE}`;
      if (!exists) await probe.unsafe(`create database ${DEV_DATABASE}`);
    }
  } catch (err) {
    if ((err as { code?: string }).code !== 'ECONNREFUSED') {
      throw new LocalDatabaseError(
        `port ${port} answers, but not as the embedded PostgreSQL of this checkout's data folder ${dir} (${(err as Error).message}): set EMBEDDED_PG_PORT to a free port, or DATABASE_URL to use that server`,
      );
    }
    served = null;
  } finally {
    await probe.end({ timeout: 0 });
  }
  if (served !== null) {
    if (!sameFolder(served, dir)) {
      throw new LocalDatabaseError(
        `the PostgreSQL on port ${port} serves the data folder ${served}, not this checkout's ${dir}: stop it, or set EMBEDDED_PG_PORT and EMBEDDED_PG_DIR to match, or DATABASE_URL to use that server on purpose`,
      );
    }
    return { url: embeddedUrl(port, DEV_DATABASE), release: async () => {} };
  }
  // Nothing listens on the port: start this folder's server for the command (it says so if another
  // process holds the folder on another port).
  const { startEmbeddedPostgres } = await import('./embedded.js');
  const server = await startEmbeddedPostgres({ dir, port, persistent: true });
  return { url: await server.url(DEV_DATABASE), release: () => server.stop() };
}

/** openDevDatabase for a command: a database it may not use ends it with the reason (exit 1, no stack). */
export const openDevDatabaseOrExit = (config: Parameters<typeof openDevDatabase>[0]) =>
  openDevDatabase(config).catch(exitOnLocalDatabaseError);
