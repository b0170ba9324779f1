// npm run admin -- <resource> <action> [--options]: the back office from a shell, over the same code as /admin/v1.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { TSchema } from '@sinclair/typebox';
import { loadConfigOrExit } from '../config.js';
import { closeDb, createDb, type Db } from '../db/client.js';
import { openDevDatabase } from '../db/dev-database.js';
import { migrateDatabase } from '../db/migrate.js';
import { createApiKey, listApiKeys, revokeApiKey } from '../db/queries/api-keys.js';
import { createProject, listProjects } from '../db/queries/projects.js';
import { createTeam, listTeams } from '../db/queries/teams.js';
import { createUser, listUsers, updateUser } from '../db/queries/users.js';

import { parseDay, utcDay } from '../reports/schedule.js';
import * as S from '../schemas/admin.js';
import type { DigestInterval } from '../db/schema/index.js';
import { Uuid } from '../schemas/common.js';
import { check } from '../schemas/validation.js';
import { constraintError } from '../db/pg-errors.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { sendReportsNow } from './reports-send.js';

type Opts = Record<string, string | undefined>;

const USAGE = `usage: npm run admin -- <command> [options]
  teams create --name <name>
  teams list
  users create --team <team_id> --email <email> [--first-name <s>] [--last-name <s>] [--digest WEEKLY|BIWEEKLY|MONTHLY]
  users list --team <team_id>
  users update --id <user_id> [--first-name <s>] [--last-name <s>] [--digest WEEKLY|BIWEEKLY|MONTHLY|none]
  projects create --team <team_id> --name <project_name> --product <product_name>
  projects list --team <team_id>
  keys create --project <project_id> --name <name>      (prints the secret once)
  keys list --project <project_id>
  keys revoke --id <key_id>
  reports send [--date YYYY-MM-DD]                      (sends the usage reports due that day; default today, UTC)`;

class UsageError extends Error {}

const found = <T>(what: string, value: T | null): T => {
  if (value === null) throw notFound(what);
  return value;
};

/** The option, checked against the same TypeBox schema the HTTP API uses. */
function opt(o: Opts, name: string, schema: TSchema = S.Name): string {
  const value = o[name];
  if (value === undefined) throw new UsageError(`missing --${name}`);
  const result = check(schema, value);
  if (!result.ok) throw new UsageError(`invalid --${name}: ${result.errors[0]!.message}`);
  return value;
}
const Id = Uuid();
const id = (o: Opts, name: string) => opt(o, name, Id);
const optional = (o: Opts, name: string) => (o[name] === undefined ? undefined : opt(o, name));
const digest = (o: Opts) => {
  if (o.digest === undefined) return undefined;
  if (o.digest === 'none') return null;
  return opt(o, 'digest', S.DigestInterval) as DigestInterval;
};

const day = (o: Opts) => {
  if (o.date === undefined) return utcDay(new Date());
  try {
    parseDay(o.date);
  } catch {
    throw new UsageError(`invalid --date: ${o.date} (expected YYYY-MM-DD)`);
  }
  return o.date;
};

const COMMANDS: Record<string, (db: Db, o: Opts) => Promise<unknown>> = {
  'teams create': async (db, o) => S.toTeam(await createTeam(db, { name: opt(o, 'name') })),
  'teams list': async (db) => (await listTeams(db)).map(S.toTeam),
  'users create': async (db, o) =>
    S.toUser(
      await createUser(db, {
        teamId: id(o, 'team'),
        email: opt(o, 'email', S.NewUser.properties.email),
        firstName: optional(o, 'first-name'),
        lastName: optional(o, 'last-name'),
        digestInterval: digest(o),
      }),
    ),
  'users list': async (db, o) => (await listUsers(db, { teamId: id(o, 'team') })).map(S.toUser),
  'users update': async (db, o) =>
    S.toUser(
      found(
        'user',
        await updateUser(db, { userId: id(o, 'id'), firstName: optional(o, 'first-name'), lastName: optional(o, 'last-name'), digestInterval: digest(o) }),
      ),
    ),
  'projects create': async (db, o) =>
    S.toProject(
      await createProject(db, { teamId: id(o, 'team'), projectName: opt(o, 'name'), productName: opt(o, 'product') }),
    ),
  'projects list': async (db, o) => found('team', await listProjects(db, { teamId: id(o, 'team') })).map(S.toProject),
  'keys create': async (db, o) => {
    const created = await createApiKey(db, { projectId: id(o, 'project'), name: opt(o, 'name') });
    return { ...S.toApiKey(created), key: created.key };
  },
  'keys list': async (db, o) => (await listApiKeys(db, { projectId: id(o, 'project') })).map(S.toApiKey),
  'keys revoke': async (db, o) => S.toApiKey(found('API key', await revokeApiKey(db, { keyId: id(o, 'id') }))),
  'reports send': async (db, o) => {
    // Logs (where each message went, SMTP errors) on stderr: stdout stays the JSON summary.
    const log = pino({ level: config.LOG_LEVEL }, pino.destination({ dest: 2, sync: true }));
    const result = await sendReportsNow({ config, db, log, databaseUrl: database.url, day: day(o) });
    if (result.failed > 0) {
      console.log(JSON.stringify(result, null, 2));
      throw new AppError(503, ErrorCode.REPORTS_FAILED, `${result.failed} report(s) could not be sent (the log says why): a running worker retries them with backoff, or run this command again`);
    }
    return result;
  },
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: Object.fromEntries(
    ['name', 'team', 'email', 'first-name', 'last-name', 'digest', 'id', 'product', 'project', 'date'].map((n) => [n, { type: 'string' }]),
  ) as Record<string, { type: 'string' }>,
});
const command = COMMANDS[positionals.join(' ')];
if (!command) {
  console.error(USAGE);
  process.exit(2);
}

const config = loadConfigOrExit();
const database = await openDevDatabase(config);
let exitCode = 0;
const db = createDb(database.url, { max: 1 });
try {
  await migrateDatabase(database.url);
  console.log(JSON.stringify(await command(db, values as Opts), null, 2));
} catch (thrown) {
  // A constraint the input ran into (a duplicate email, an unknown team) reads as the API says it.
  const err = constraintError(thrown) ?? thrown;
  console.error(`error: ${err instanceof Error ? err.message : err}`);
  if (err instanceof UsageError) console.error(USAGE);
  exitCode = err instanceof UsageError ? 2 : 1;
  if (!(err instanceof UsageError || err instanceof AppError)) console.error(err);
} finally {
  await closeDb(db);
  await database.release();
}
// Explicit: a library in the migration path resets process.exitCode.
process.exit(exitCode);
