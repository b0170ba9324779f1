import t from 'tap';
import { build } from './helper.js';

/** The parts of an OpenAPI 3 document this test reads. */
type Content = Record<string, { schema: unknown } | undefined>;
interface Operation {
  tags?: string[];
  security?: unknown[];
  parameters?: { name: string }[];
  requestBody?: { content: Content };
  responses: Record<string, { content?: Content } | undefined>;
}
interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, Operation | undefined> | undefined>;
}

t.test('the OpenAPI document lists every route with its request and every response status', async (t) => {
  const { app } = await build(t);
  const res = await app.inject('/docs/json');
  t.equal(res.statusCode, 200);
  const doc = res.json<OpenApiDocument>();
  t.match(doc.openapi, /^3\./);

  const expected: Record<string, Record<string, string[]>> = {
    '/query/v1/projects/{project_id}/chat': { post: ['200', '400', '401', '403', '404', '415'] },
    '/query/v1/projects/{project_id}/threads/': { get: ['200', '400', '401', '403'] },
    '/query/v1/projects/{project_id}/threads/{thread_id}/': {
      get: ['200', '400', '401', '403', '404'],
      patch: ['200', '400', '401', '403', '404'],
    },
    '/query/v1/projects/{project_id}/categories/': {
      get: ['200', '401', '403'],
      post: ['201', '400', '401', '403', '409'],
    },
    '/query/v1/projects/{project_id}/categories/stats': { get: ['200', '400', '401', '403'] },
    '/query/v1/projects/{project_id}/categories/{category_id}/': {
      get: ['200', '404'],
      patch: ['200', '400', '404', '409'],
      delete: ['204', '404'],
    },
    '/query/v1/projects/{project_id}/sources': {
      get: ['200', '401', '403'],
      post: ['201', '400', '401', '403'],
    },
    '/query/v1/projects/{project_id}/sources/{source_id}': { get: ['200', '404'], delete: ['204', '404'] },
    '/query/v1/projects/{project_id}/sources/{source_id}/refresh': { post: ['202', '404', '409'] },
    '/query/v1/projects/{project_id}/sources/{source_id}/documents': {
      get: ['200', '400', '404'],
      put: ['202', '400', '404', '409', '413'],
    },
    '/query/v1/projects/{project_id}/sources/{source_id}/documents/{document_id}': { delete: ['204', '404', '409'] },
    '/query/v1/projects/{project_id}/search': { get: ['200', '400', '401', '403'] },
    '/admin/v1/teams': { get: ['200', '401'], post: ['201', '400', '401', '403'] },
    '/admin/v1/teams/{team_id}/users': { get: ['200'], post: ['201', '400', '404', '409'] },
    '/admin/v1/users/{user_id}': { patch: ['200', '400', '404'] },
    '/admin/v1/teams/{team_id}/projects': { get: ['200', '404'], post: ['201', '400', '404'] },
    '/admin/v1/projects/{project_id}/api-keys': { get: ['200'], post: ['201', '400', '404'] },
    '/admin/v1/api-keys/{key_id}': { delete: ['204', '404'] },
    '/health': { get: ['200'] },
    '/ready': { get: ['200', '503'] },
  };
  for (const [path, methods] of Object.entries(expected)) {
    for (const [method, statuses] of Object.entries(methods)) {
      const op = doc.paths[path]?.[method];
      t.ok(op, `${method.toUpperCase()} ${path} is documented`);
      if (!op) continue;
      for (const s of statuses) t.ok(op.responses[s], `${method.toUpperCase()} ${path} documents ${s}`);
      if (path.startsWith('/query/') || path.startsWith('/admin/'))
        t.ok(op.tags?.length && op.security, `${path} has a tag and security`);
    }
  }
  const chat = doc.paths['/query/v1/projects/{project_id}/chat']?.post;
  t.match(chat?.requestBody?.content['application/json']?.schema, {
    required: ['question'],
    properties: { question: { maxLength: 10000 } },
  });
  t.match(chat?.responses['404']?.content?.['application/json']?.schema, {
    properties: { statusCode: {}, error: {}, message: {} },
  });
  t.ok(doc.paths['/query/v1/projects/{project_id}/threads/']?.get?.parameters?.some((p) => p.name === 'cursor'));

  const page = await app.inject('/docs');
  t.equal(page.statusCode, 200, 'browsable docs page');
  t.match(page.headers['content-type'], /text\/html/);
  t.match(page.body, /Swagger UI/);
});
