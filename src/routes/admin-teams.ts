import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { createProjectInTeam, listProjects } from '../db/queries/projects.js';
import { createTeam, deleteTeam, getTeam, listTeams, renameTeam } from '../db/queries/teams.js';
import { createUserInTeam, listUsers } from '../db/queries/users.js';
import { encodeCursor } from '../schemas/cursor.js';
import { errors } from '../schemas/common.js';
import * as S from '../schemas/admin.js';
import { pageRequest } from './paging.js';
import { absent, base, Deleted, list, TeamParams, teamHasProjects } from './admin-common.js';

/** Teams, and a team's users and projects, under /admin/v1. */
const adminTeams: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.post(
    '/teams',
    { schema: { ...base, summary: 'Create a team', body: S.NewTeam, response: { 201: S.Team } } },
    async (request, reply) => reply.code(201).send(S.toTeam(await createTeam(app.db, request.body))),
  );

  app.get(
    '/teams',
    {
      schema: {
        ...base,
        summary: 'List teams, oldest first, cursor-paginated; `q` searches their names',
        querystring: S.listQuery(S.TeamFilters),
        response: { 200: S.page(S.Team) },
      },
    },
    async (request) => {
      const { filters, limit, after } = pageRequest('admin-teams', request.query, S.TeamFilters);
      const page = await listTeams(app.db, { q: filters.q, limit, after });
      return { results: page.rows.map(S.toTeam), next: page.next && encodeCursor('admin-teams', filters, page.next) };
    },
  );

  app.get(
    '/teams/:team_id',
    { schema: { ...base, summary: 'One team', params: TeamParams, response: { 200: S.Team, ...errors(404) } } },
    async (request) => S.toTeam((await getTeam(app.db, { teamId: request.params.team_id })) ?? absent('team')),
  );

  app.patch(
    '/teams/:team_id',
    {
      schema: {
        ...base,
        summary: 'Rename a team',
        params: TeamParams,
        body: S.TeamChanges,
        response: { 200: S.Team, ...errors(404) },
      },
    },
    async (request) =>
      S.toTeam(
        (await renameTeam(app.db, { teamId: request.params.team_id, name: request.body.name })) ?? absent('team'),
      ),
  );

  app.delete(
    '/teams/:team_id',
    {
      schema: {
        ...base,
        summary: 'Delete a team and its users; with cascade=true its projects too (otherwise 409 while it has any)',
        description:
          'Its projects are deleted as `DELETE /admin/v1/projects/{id}` does: gone at once, their data removed in the background.',
        params: TeamParams,
        querystring: Type.Object(
          { cascade: Type.Optional(Type.Boolean({ default: false, description: "delete the team's projects too" })) },
          { additionalProperties: false },
        ),
        response: { 204: Deleted('deleted'), ...errors(404, 409) },
      },
    },
    async (request, reply) => {
      const result = await deleteTeam(app.db, {
        teamId: request.params.team_id,
        cascade: request.query.cascade ?? false,
      });
      if (!result) absent('team');
      if (!result.deleted) throw teamHasProjects(result.projects);
      return reply.code(204).send(null);
    },
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
      const user = await createUserInTeam(app.db, {
        teamId: request.params.team_id,
        email: b.email,
        firstName: b.first_name,
        lastName: b.last_name,
        digestInterval: b.digest_interval,
      });
      return reply.code(201).send(S.toUser(user ?? absent('team')));
    },
  );

  app.get(
    '/teams/:team_id/users',
    {
      schema: {
        ...base,
        summary: "List a team's users",
        params: TeamParams,
        response: { 200: list(S.User), ...errors(404) },
      },
    },
    async (request) => ({
      results: ((await listUsers(app.db, { teamId: request.params.team_id })) ?? absent('team')).rows.map(S.toUser),
    }),
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
      const project = await createProjectInTeam(app.db, { teamId: request.params.team_id, projectName, productName });
      return reply.code(201).send(S.toProject(project ?? absent('team')));
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
    async (request) => ({
      results: ((await listProjects(app.db, { teamId: request.params.team_id })) ?? absent('team')).rows.map(
        S.toProject,
      ),
    }),
  );
  done();
};

export default adminTeams;
