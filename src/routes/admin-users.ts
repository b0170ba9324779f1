import { type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { deleteUser, getUser, listUsers, updateUser } from '../db/queries/users.js';
import { encodeCursor } from '../schemas/cursor.js';
import { errors } from '../schemas/common.js';
import * as S from '../schemas/admin.js';
import { pageRequest } from './paging.js';
import { absent, base, Deleted, UserParams } from './admin-common.js';

/** Users across teams, under /admin/v1 (a user is created in a team: POST /teams/{team_id}/users). */
const adminUsers: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/users',
    {
      schema: {
        ...base,
        summary:
          "List users, oldest first, cursor-paginated; `team_id` keeps one team's, `q` searches emails and names",
        querystring: S.listQuery(S.UserFilters),
        response: { 200: S.page(S.User), ...errors(404) },
      },
    },
    async (request) => {
      const { filters, limit, after } = pageRequest('admin-users', request.query, S.UserFilters);
      const page = (await listUsers(app.db, { teamId: filters.team_id, q: filters.q, limit, after })) ?? absent('team');
      return { results: page.rows.map(S.toUser), next: page.next && encodeCursor('admin-users', filters, page.next) };
    },
  );

  app.get(
    '/users/:user_id',
    { schema: { ...base, summary: 'One user', params: UserParams, response: { 200: S.User, ...errors(404) } } },
    async (request) => S.toUser((await getUser(app.db, { userId: request.params.user_id })) ?? absent('user')),
  );

  app.patch(
    '/users/:user_id',
    {
      schema: {
        ...base,
        summary: "Change a user's email (unique regardless of case), name or digest interval",
        params: UserParams,
        body: S.UserChanges,
        response: { 200: S.User, ...errors(404, 409) },
      },
    },
    async (request) => {
      const b = request.body;
      const user = await updateUser(app.db, {
        userId: request.params.user_id,
        email: b.email,
        firstName: b.first_name,
        lastName: b.last_name,
        digestInterval: b.digest_interval,
      });
      return S.toUser(user ?? absent('user'));
    },
  );

  app.delete(
    '/users/:user_id',
    {
      schema: {
        ...base,
        summary: 'Delete a user (no more usage reports)',
        params: UserParams,
        response: { 204: Deleted('deleted'), ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!(await deleteUser(app.db, { userId: request.params.user_id }))) absent('user');
      return reply.code(204).send(null);
    },
  );
  done();
};

export default adminUsers;
