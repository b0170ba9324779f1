// The admin command's commands, one per resource and action, over the same query functions as /admin/v1.
import { pino } from 'pino';
import type { Config } from '../config.js';
import type { Db } from '../db/client.js';
import { createApiKeyForProject, listApiKeys, renameApiKey, revokeApiKey } from '../db/queries/api-keys.js';
import { createProjectInTeam, deleteProject, getProject, listProjects, updateProject } from '../db/queries/projects.js';
import { createTeam, deleteTeam, getTeam, listTeams, renameTeam } from '../db/queries/teams.js';
import { createUserInTeam, deleteUser, getUser, listUsers, updateUser } from '../db/queries/users.js';
import { AppError, ErrorCode, notFound } from '../errors.js';
import { teamHasProjects } from '../routes/admin-common.js';
import * as S from '../schemas/admin.js';
import { day, digest, email, flag, id, opt, optional, optionalId, search, type Opts } from './admin-options.js';
import type { CliIo } from './io.js';
import { sendReportsNow } from './reports-send.js';

export interface AdminContext {
  db: Db;
  config: Config;
  databaseUrl: string;
  io: CliIo;
}

const found = <T>(what: string, value: T | null): T => {
  if (value === null) throw notFound(what);
  return value;
};

export const COMMANDS: Record<string, (ctx: AdminContext, o: Opts) => Promise<unknown>> = {
  'teams create': async ({ db }, o) => S.toTeam(await createTeam(db, { name: opt(o, 'name') })),
  'teams get': async ({ db }, o) => S.toTeam(found('team', await getTeam(db, { teamId: id(o, 'id') }))),
  'teams rename': async ({ db }, o) =>
    S.toTeam(found('team', await renameTeam(db, { teamId: id(o, 'id'), name: opt(o, 'name') }))),
  'teams delete': async ({ db }, o) => {
    const teamId = id(o, 'id');
    const result = found('team', await deleteTeam(db, { teamId, cascade: flag(o, 'cascade') }));
    if (!result.deleted) throw teamHasProjects(result.projects);
    return { id: teamId, deleted: true, projects_deleted: result.projects };
  },
  'teams list': async ({ db }, o) => (await listTeams(db, { q: search(o) })).rows.map(S.toTeam),
  'users create': async ({ db }, o) =>
    S.toUser(
      found(
        'team',
        await createUserInTeam(db, {
          teamId: id(o, 'team'),
          email: email(o),
          firstName: optional(o, 'first-name'),
          lastName: optional(o, 'last-name'),
          digestInterval: digest(o),
        }),
      ),
    ),
  'users get': async ({ db }, o) => S.toUser(found('user', await getUser(db, { userId: id(o, 'id') }))),
  'users list': async ({ db }, o) =>
    found('team', await listUsers(db, { teamId: optionalId(o, 'team'), q: search(o) })).rows.map(S.toUser),
  'users update': async ({ db }, o) =>
    S.toUser(
      found(
        'user',
        await updateUser(db, {
          userId: id(o, 'id'),
          email: o.email === undefined ? undefined : email(o),
          firstName: optional(o, 'first-name'),
          lastName: optional(o, 'last-name'),
          digestInterval: digest(o),
        }),
      ),
    ),
  'users delete': async ({ db }, o) => {
    const userId = id(o, 'id');
    if (!(await deleteUser(db, { userId }))) throw notFound('user');
    return { id: userId, deleted: true };
  },
  'projects create': async ({ db }, o) =>
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
  'projects get': async ({ db }, o) => S.toProject(found('project', await getProject(db, { projectId: id(o, 'id') }))),
  'projects rename': async ({ db }, o) =>
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
  'projects delete': async ({ db }, o) => {
    const projectId = id(o, 'id');
    if (!(await deleteProject(db, { projectId }))) throw notFound('project');
    return { id: projectId, deleted: true };
  },
  'projects list': async ({ db }, o) =>
    found('team', await listProjects(db, { teamId: optionalId(o, 'team'), q: search(o) })).rows.map(S.toProject),
  'keys create': async ({ db }, o) => {
    const created = found(
      'project',
      await createApiKeyForProject(db, { projectId: id(o, 'project'), name: opt(o, 'name') }),
    );
    return { ...S.toApiKey(created), key: created.key };
  },
  'keys list': async ({ db }, o) =>
    found('project', await listApiKeys(db, { projectId: id(o, 'project') })).map(S.toApiKey),
  'keys rename': async ({ db }, o) =>
    S.toApiKey(found('API key', await renameApiKey(db, { keyId: id(o, 'id'), name: opt(o, 'name') }))),
  'keys revoke': async ({ db }, o) => S.toApiKey(found('API key', await revokeApiKey(db, { keyId: id(o, 'id') }))),
  'reports send': async ({ db, config, databaseUrl, io }, o) => {
    // Logs (where each message went, SMTP errors) on stderr: stdout stays the JSON summary.
    const log = pino({ level: config.LOG_LEVEL }, { write: (line: string) => io.stderr(line) });
    const result = await sendReportsNow({ config, db, log, databaseUrl, day: day(o) });
    if (result.failed > 0) {
      io.stdout(`${JSON.stringify(result, null, 2)}\n`);
      throw new AppError(
        503,
        ErrorCode.REPORTS_FAILED,
        `${result.failed} report(s) could not be sent (the log says why): a running worker retries them with backoff, or run this command again`,
      );
    }
    return result;
  },
};
