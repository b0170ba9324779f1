// What a command-line tool reads and writes, passed in: the process's own when it runs as a command, a
// test's buffers when a test calls it in-process. Each tool is a function of its arguments and this that
// returns its exit code; only the thin wrapper at the bottom of its file touches `process`.
import { ConfigError, configWarnings, loadConfig, type Config } from '../config.js';
import { closeDb, createDb, type Db } from '../db/client.js';
import { openDevDatabase } from '../db/dev-database.js';
import { LocalDatabaseError } from '../db/local.js';
import { isMain } from '../runtime/shutdown.js';

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Record<string, string | undefined>;
  /** stdout is a terminal: progress redraws one line instead of printing a line each time. */
  isTTY?: boolean;
  /** Aborted when the user asks a long-running command to stop (Ctrl-C). */
  signal?: AbortSignal;
}

export type Cli = (argv: string[], io: CliIo) => Promise<number>;

/** The database a command works on, with its config; null (after saying why on stderr) if there is none. */
export async function openCliDatabase(
  io: CliIo,
  opts: { max: number },
): Promise<{ config: Config; url: string; db: Db; close: () => Promise<void> } | null> {
  let config: Config;
  try {
    config = loadConfig(io.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    io.stderr(`${err.message}\n`);
    return null;
  }
  for (const warning of configWarnings(config, io.env)) io.stderr(`warning: ${warning}\n`);
  let database: Awaited<ReturnType<typeof openDevDatabase>>;
  try {
    database = await openDevDatabase(config);
  } catch (err) {
    // A database the command may not use (another checkout's server on the port): the reason, no stack.
    if (!(err instanceof LocalDatabaseError)) throw err;
    io.stderr(`error: ${err.message}\n`);
    return null;
  }
  const db = createDb(database.url, { max: opts.max });
  return {
    config,
    url: database.url,
    db,
    close: async () => {
      await closeDb(db);
      await database.release();
    },
  };
}

/**
 * When `moduleUrl` is the module node was started with: runs `cli` with the process's arguments and I/O, then
 * exits with its code. Explicitly: a library in the migration path resets process.exitCode.
 */
export function runAsCommand(moduleUrl: string, cli: Cli, opts: { interruptible?: boolean } = {}) {
  if (!isMain(moduleUrl)) return;
  const stop = new AbortController();
  if (opts.interruptible) process.on('SIGINT', () => stop.abort());
  const io: CliIo = {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    env: process.env,
    isTTY: process.stdout.isTTY,
    signal: stop.signal,
  };
  void cli(process.argv.slice(2), io).then(
    (code) => process.exit(code),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
