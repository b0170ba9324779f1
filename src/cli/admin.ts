// npm run admin -- <resource> <action> [--options]: the back office from a shell, over the same code as /admin/v1.
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import type { TSchema } from '@sinclair/typebox';
import { loadConfigOrExit } from '../config.js';
import { closeDb, createDb, type Db } from '../db/client.js';
import { openDevDatabaseOrExit } from '../db/dev-database.js';
import { migrateDatabase } from '../db/migrate.js';
import { createApiKeyForProject, listApiKeys, renameApiKey, revokeApiKey } from '../db/queries/api-keys.js';
import { createProjectInTeam, deleteProject, getProject, listProjects, updateProject } from '../db/queries/projects.js';
import { createTeam, deleteTeam, getTeam, listTeams, renameTeam } from '../db/queries/teams.js';
import { createUserInTeam, deleteUser, getUser, listUsers, updateUser } from '../db/queries/users.js';
import { teamHasProjects } from '../routes/admin-common.js';

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
  teams get --id <team_id>
  teams rename --id <team_id> --name <name>
  teams delete --id <team_id> [--cascade]             (--cascade: its projects too; without it, refused while it has any)
  teams list [--q <text>]                             (--q: name contains, regardless of case)
  users create --team <team_id> --email <email> [--first-name <s>] [--last-name <s>] [--digest WEEKLY|BIWEEKLY|MONTHLY]
  users get --id <user_id>
  users update --id <user_id> [--email <email>] [--first-name <s>] [--last-name <s>] [--digest WEEKLY|BIWEEKLY|MONTHLY|none]
  users delete --id <user_id>
  users list [--team <team_id>] [--q <text>]          (--q: email or name contains)
  projects create --team <team_id> --name <project_name> --product <product_name>
  projects get --id <project_id>
  projects rename --id <project_id> [--name <project_name>] [--product <product_name>]
  projects delete --id <project_id>                   (keys refused at once; its data removed by the worker, in batches)
  projects list [--team <team_id>] [--q <text>]       (--q: project or product name contains)
  keys create --project <project_id> --name <name>      (prints the secret once)
  keys list --project <project_id>
  keys rename --id <key_id> --name <name>
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
  if (!result.ok) throw new UsageError(`invalid --${name}: expected ${result.problem.rule}`);
  return value;
}
const Id = Uuid();
const id = (o: Opts, name: string) => opt(o, name, Id);
const optional = (o: Opts, name: string) => (o[name] === undefined ? undefined : opt(o, name));
const search = (o: Opts) => (o.q === undefined ? undefined : opt(o, 'q', S.TeamFilters.properties.q));
const optionalId = (o: Opts, name: string) => (o[name] === undefined ? undefined : id(o, name));
const flag = (o: Opts, name: string) => (o as Record<string, unknown>)[name] === true;
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
  'teams get': async (db, o) => S.toTeam(found('team', await getTeam(db, { teamId: id(o, 'id') }))),
  'teams rename': async (db, o) =>
    S.toTeam(found('team', await renameTeam(db, { teamId: id(o, 'id'), name: opt(o, 'name') }))),
  'teams delete': async (db, o) => {
    const teamId = id(o, 'id');
    const result = found('team', await deleteTeam(db, { teamId, cascade: flag(o, 'cascade') }));
    if (!result.deleted) throw teamHasProjects(result.projects);
    return { id: teamId, deleted: true, projects_deleted: result.projects };
  },
  'teams list': async (db, o) => (await listTeams(db, { q: search(o) })).rows.map(S.toTeam),
  'users create': async (db, o) =>
    S.toUser(
      found(
        'team',
        await createUserInTeam(db, {
          teamId: id(o, 'team'),
          email: opt(o, 'email', S.NewUser.properties.email),
          firstName: optional(o, 'first-name'),
          lastName: optional(o, 'last-name'),
          digestInterval: digest(o),
        }),
      ),
    ),
  'users get': async (db, o) => S.toUser(found('user', await getUser(db, { userId: id(o, 'id') }))),
  'users list': async (db, o) =>
    found('team', await listUsers(db, { teamId: optionalId(o, 'team'), q: search(o) })).rows.map(S.toUser),
  'users update': async (db, o) =>
    S.toUser(
      found(
        'user',
        await updateUser(db, {
          userId: id(o, 'id'),
          email: o.email === undefined ? undefined : opt(o, 'email', S.NewUser.properties.email),
          firstName: optional(o, 'first-name'),
          lastName: optional(o, 'last-name'),
          digestInterval: digest(o),
        }),
      ),
    ),
  'users delete': async (db, o) => {
    const userId = id(o, 'id');
    if (!(await deleteUser(db, { userId }))) throw notFound('user');
    return { id: userId, deleted: true };
  },
  'projects create': async (db, o) =>
    S.toProject(
      found(
        'team',
        await createProjectInTeam(db, {
          teamId: id(o, 'team'),
          projectName: opt(o, 'name'),
          productName: opt(o, 'product'),
        }),
      ),
    ),
  'projects get': async (db, o) => S.toProject(found('project', await getProject(db, { projectId: id(o, 'id') }))),
  'projects rename': async (db, o) =>
    S.toProject(
      found(
        'project',
        await updateProject(db, {
          projectId: id(o, 'id'),
          projectName: optional(o, 'name'),
          productName: optional(o, 'product'),
        }),
      ),
    ),
  'projects delete': async (db, o) => {
    const projectId = id(o, 'id');
    if (!(await deleteProject(db, { projectId }))) throw notFound('project');
    return { id: projectId, deleted: true };
  },
  'projects list': async (db, o) =>
    found('team', await listProjects(db, { teamId: optionalId(o, 'team'), q: search(o) })).rows.map(S.toProject),
  'keys create': async (db, o) => {
    const created = found(
      'project',
      await createApiKeyForProject(db, { projectId: id(o, 'project'), name: opt(o, 'name') }),
    );
    return { ...S.toApiKey(created), key: created.key };
  },
  'keys list': async (db, o) =>
    found('project', await listApiKeys(db, { projectId: id(o, 'project') })).map(S.toApiKey),
  'keys rename': async (db, o) =>
    S.toApiKey(found('API key', await renameApiKey(db, { keyId: id(o, 'id'), name: opt(o, 'name') }))),
  'keys revoke': async (db, o) => S.toApiKey(found('API key', await revokeApiKey(db, { keyId: id(o, 'id') }))),
  'reports send': async (db, o) => {
    // Logs (where each message went, SMTP errors) on stderr: stdout stays the JSON summary.
    const log = pino({ level: config.LOG_LEVEL }, pino.destination({ dest: 2, sync: true }));
    const result = await sendReportsNow({ config, db, log, databaseUrl: database.url, day: day(o) });
    if (result.failed > 0) {
      console.log(JSON.stringify(result, null, 2));
      throw new AppError(
        503,
        ErrorCode.REPORTS_FAILED,
        `${result.failed} report(s) could not be sent (the log says why): a running worker retries them with backoff, or run this command again`,
      );
    }
    return result;
  },
};

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    ...(Object.fromEntries(
      ['name', 'team', 'email', 'first-name', 'last-name', 'digest', 'id', 'product', 'project', 'date', 'q'].map(
        (n) => [n, { type: 'string' }],
      ),
    ) as Record<string, { type: 'string' }>),
    cascade: { type: 'boolean' },
  },
});
const command = COMMANDS[positionals.join(' ')];
if (!command) {
  console.error(USAGE);
  process.exit(2);
}

const config = loadConfigOrExit();
const database = await openDevDatabaseOrExit(config);
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
