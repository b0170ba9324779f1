import { createHash, timingSafeEqual } from 'node:crypto';
import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createApiKey, listApiKeys, revokeApiKey } from '../db/queries/api-keys.js';
import { createProject, listProjects } from '../db/queries/projects.js';
import { createTeam, listTeams } from '../db/queries/teams.js';
import { createUser, listUsers, updateUser } from '../db/queries/users.js';
import { errors, Uuid } from '../schemas/common.js';
import classificationStatus from './admin-classification.js';
import * as S from '../schemas/admin.js';
import { AppError, ErrorCode, notFound, unauthorized } from '../errors.js';

const list = <T extends Parameters<typeof Type.Array>[0]>(item: T) => Type.Object({ results: Type.Array(item) });
const sha256 = (s: string) => createHash('sha256').update(s).digest();
const TeamParams = Type.Object({ team_id: Uuid() });
const ProjectParams = Type.Object({ project_id: Uuid() });
const base = { tags: ['admin'], security: [{ adminToken: [] }] };

/** The back office: teams, users, projects and API keys, behind Authorization: Bearer $ADMIN_TOKEN. */
const admin: FastifyPluginAsyncTypebox<{ adminToken?: string }> = async (app, opts) => {
  const expected = opts.adminToken ? sha256(opts.adminToken) : null;

  app.addHook('onRequest', async (request) => {
    if (!expected) throw new AppError(403, ErrorCode.ADMIN_DISABLED, 'the admin API is disabled: set ADMIN_TOKEN to enable it');
    await app.authFailures.check(request);
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    // Hashing both sides gives equal lengths, so the comparison is constant-time.
    if (!match || !timingSafeEqual(sha256(match[1]!), expected)) {
      await app.authFailures.failed(request);
      throw unauthorized('missing or invalid admin token');
    }
  });

  await app.register(classificationStatus);

  app.post(
    '/teams',
    { schema: { ...base, summary: 'Create a team', body: S.NewTeam, response: { 201: S.Team } } },
    async (request, reply) => reply.code(201).send(S.toTeam(await createTeam(app.db, request.body))),
  );

  app.get(
    '/teams',
    { schema: { ...base, summary: 'List teams', response: { 200: list(S.Team) } } },
    async () => ({ results: (await listTeams(app.db)).map(S.toTeam) }),
  );

  app.post(
    '/teams/:team_id/users',
    {
      schema: {
        ...base,
        summary: 'Create a user in a team (email unique regardless of case)',
        params: TeamParams,
        body: S.NewUser,
        response: { 201: S.User, ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const b = request.body;
      const user = await createUser(app.db, {
        teamId: request.params.team_id,
        email: b.email,
        firstName: b.first_name,
        lastName: b.last_name,
        digestInterval: b.digest_interval,
      });
      return reply.code(201).send(S.toUser(user));
    },
  );

  app.get(
    '/teams/:team_id/users',
    {
      schema: { ...base, summary: "List a team's users", params: TeamParams, response: { 200: list(S.User) } },
    },
    async (request) => ({ results: (await listUsers(app.db, { teamId: request.params.team_id })).map(S.toUser) }),
  );

  app.patch(
    '/users/:user_id',
    {
      schema: {
        ...base,
        summary: "Change a user's name or digest interval",
        params: Type.Object({ user_id: Uuid() }),
        body: S.UserChanges,
        response: { 200: S.User, ...errors(404) },
      },
    },
    async (request) => {
      const b = request.body;
      const user = await updateUser(app.db, {
        userId: request.params.user_id,
        firstName: b.first_name,
        lastName: b.last_name,
        digestInterval: b.digest_interval,
      });
      if (!user) throw notFound('user');
      return S.toUser(user);
    },
  );

  app.post(
    '/teams/:team_id/projects',
    {
      schema: {
        ...base,
        summary: 'Create a project (a chat bot) in a team',
        params: TeamParams,
        body: S.NewProject,
        response: { 201: S.Project, ...errors(404) },
      },
    },
    async (request, reply) => {
      const { project_name: projectName, product_name: productName } = request.body;
      const project = await createProject(app.db, { teamId: request.params.team_id, projectName, productName });
      return reply.code(201).send(S.toProject(project));
    },
  );

  app.get(
    '/teams/:team_id/projects',
    {
      schema: {
        ...base,
        summary: "List a team's projects",
        params: TeamParams,
        response: { 200: list(S.Project), ...errors(404) },
      },
    },
    async (request) => {
      const projects = await listProjects(app.db, { teamId: request.params.team_id });
      if (!projects) throw notFound('team');
      return { results: projects.map(S.toProject) };
    },
  );

  app.post(
    '/projects/:project_id/api-keys',
    {
      schema: {
        ...base,
        summary: 'Create an API key for a project; the secret is in `key`, shown this once',
        params: ProjectParams,
        body: S.NewApiKey,
        response: { 201: S.NewApiKeyResponse, ...errors(404) },
      },
    },
    async (request, reply) => {
      const created = await createApiKey(app.db, { projectId: request.params.project_id, name: request.body.name });
      return reply.code(201).send({ ...S.toApiKey(created), key: created.key });
    },
  );

  app.get(
    '/projects/:project_id/api-keys',
    {
      schema: {
        ...base,
        summary: "List a project's API keys (never their secrets)",
        params: ProjectParams,
        response: { 200: list(S.ApiKey) },
      },
    },
    async (request) => ({ results: (await listApiKeys(app.db, { projectId: request.params.project_id })).map(S.toApiKey) }),
  );

  app.delete(
    '/api-keys/:key_id',
    {
      schema: {
        ...base,
        summary: 'Revoke an API key; it is refused from the next request on',
        params: Type.Object({ key_id: Uuid() }),
        response: { 204: Type.Null({ description: 'revoked' }), ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!(await revokeApiKey(app.db, { keyId: request.params.key_id }))) throw notFound('API key');
      return reply.code(204).send(null);
    },
  );
};

export default admin;
