import { type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { createApiKeyForProject, listApiKeys, renameApiKey, revokeApiKey } from '../db/queries/api-keys.js';
import { deleteProject, getProject, listProjects, updateProject } from '../db/queries/projects.js';
import { encodeCursor } from '../schemas/cursor.js';
import { errors } from '../schemas/common.js';
import * as S from '../schemas/admin.js';
import { pageRequest } from './paging.js';
import { absent, base, Deleted, KeyParams, list, ProjectParams } from './admin-common.js';

/** Projects across teams and their API keys, under /admin/v1. */
const adminProjects: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/projects',
    {
      schema: {
        ...base,
        summary:
          "List projects, oldest first, cursor-paginated; `team_id` keeps one team's, `q` searches project and product names",
        querystring: S.listQuery(S.ProjectFilters),
        response: { 200: S.page(S.Project), ...errors(404) },
      },
    },
    async (request) => {
      const { filters, limit, after } = pageRequest('admin-projects', request.query, S.ProjectFilters);
      const page =
        (await listProjects(app.db, { teamId: filters.team_id, q: filters.q, limit, after })) ?? absent('team');
      return {
        results: page.rows.map(S.toProject),
        next: page.next && encodeCursor('admin-projects', filters, page.next),
      };
    },
  );

  app.get(
    '/projects/:project_id',
    {
      schema: { ...base, summary: 'One project', params: ProjectParams, response: { 200: S.Project, ...errors(404) } },
    },
    async (request) =>
      S.toProject((await getProject(app.db, { projectId: request.params.project_id })) ?? absent('project')),
  );

  app.patch(
    '/projects/:project_id',
    {
      schema: {
        ...base,
        summary: 'Rename a project: its project_name, its product_name or both',
        params: ProjectParams,
        body: S.ProjectChanges,
        response: { 200: S.Project, ...errors(404) },
      },
    },
    async (request) => {
      const { project_name: projectName, product_name: productName } = request.body;
      const project = await updateProject(app.db, { projectId: request.params.project_id, projectName, productName });
      return S.toProject(project ?? absent('project'));
    },
  );

  app.delete(
    '/projects/:project_id',
    {
      schema: {
        ...base,
        summary: 'Delete a project and everything of it',
        description:
          'At once: the project is gone from every route, its API keys are refused (401) and its webhooks get no more events. ' +
          'Its data (threads, question-answers, feedback, categories, counts, relabel runs) is then removed in the background, in batches.',
        params: ProjectParams,
        response: { 204: Deleted('deleted'), ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!(await deleteProject(app.db, { projectId: request.params.project_id }))) absent('project');
      return reply.code(204).send(null);
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
      const created =
        (await createApiKeyForProject(app.db, { projectId: request.params.project_id, name: request.body.name })) ??
        absent('project');
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
        response: { 200: list(S.ApiKey), ...errors(404) },
      },
    },
    async (request) => ({
      results: ((await listApiKeys(app.db, { projectId: request.params.project_id })) ?? absent('project')).map(
        S.toApiKey,
      ),
    }),
  );

  app.patch(
    '/api-keys/:key_id',
    {
      schema: {
        ...base,
        summary: 'Rename an API key',
        params: KeyParams,
        body: S.ApiKeyChanges,
        response: { 200: S.ApiKey, ...errors(404) },
      },
    },
    async (request) =>
      S.toApiKey(
        (await renameApiKey(app.db, { keyId: request.params.key_id, name: request.body.name })) ?? absent('API key'),
      ),
  );

  app.delete(
    '/api-keys/:key_id',
    {
      schema: {
        ...base,
        summary: 'Revoke an API key; it is refused from the next request on',
        params: KeyParams,
        response: { 204: Deleted('revoked'), ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!(await revokeApiKey(app.db, { keyId: request.params.key_id }))) absent('API key');
      return reply.code(204).send(null);
    },
  );
  done();
};

export default adminProjects;
