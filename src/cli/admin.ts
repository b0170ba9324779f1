// npm run admin -- <resource> <action> [--options]: the back office from a shell, over the same code as /admin/v1.
// Prints the result as JSON on stdout. Exit codes: 0 done, 2 bad usage, 1 refused or failed (the reason on stderr).
import { constraintError } from '../db/pg-errors.js';
import { migrateDatabase } from '../db/migrate.js';
import { AppError } from '../errors.js';
import { COMMANDS } from './admin-commands.js';
import { parseAdminArgs, USAGE, UsageError } from './admin-options.js';
import { openCliDatabase, runAsCommand, type CliIo } from './io.js';

export async function admin(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseAdminArgs>;
  try {
    parsed = parseAdminArgs(argv);
  } catch (err) {
    io.stderr(`error: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const command = COMMANDS[parsed.command];
  if (!command) {
    io.stderr(`${USAGE}\n`);
    return 2;
  }
  const opened = await openCliDatabase(io, { max: 1 });
  if (!opened) return 1;
  const { config, url, db, close } = opened;
  try {
    await migrateDatabase(url);
    const result = await command({ db, config, databaseUrl: url, io }, parsed.options);
    io.stdout(`${JSON.stringify(result, null, 2)}\n`);
    return 0;
  } catch (thrown) {
    // A constraint the input ran into (a duplicate email, an unknown team) reads as the API says it.
    const err = constraintError(thrown) ?? thrown;
    io.stderr(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    if (err instanceof UsageError) {
      io.stderr(`${USAGE}\n`);
      return 2;
    }
    if (!(err instanceof AppError)) io.stderr(`${err instanceof Error ? err.stack : String(err)}\n`);
    return 1;
  } finally {
    await close();
  }
}

runAsCommand(import.meta.url, admin);
