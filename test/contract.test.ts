// The OpenAPI document tells the truth. Every operation it lists is called with requests generated from
// the document itself (test/openapi-requests.ts), valid and invalid, and every answer must be one the
// document promises: a listed status, a listed content type, a body matching the listed schema, the one
// error shape, and an x-request-id.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Ajv } from 'ajv';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { closeDb, createDb, type Db } from '../src/db/client.js';
import { freePort } from '../src/db/local.js';
import { projectClient, projectWithKey } from './factories.js';
import { ADMIN_TOKEN, build } from './helper.js';
import type { Static } from '@sinclair/typebox';
import type { NewApiKeyResponse } from '../src/schemas/admin.js';
import { DOCUMENT_BODY_LIMIT } from '../src/schemas/documents.js';
import { asText, Generator, openApiAjv, UNKNOWN_ID, type Schema } from './openapi-requests.js';

interface Param {
  name: string;
  in: string;
  required?: boolean;
  schema: Schema;
}
type Content = Record<string, { schema: Schema }>;
interface Operation {
  method: string;
  path: string;
  parameters?: Param[];
  requestBody?: { required?: boolean; content: Content };
  responses: Record<string, { content?: Content }>;
  security?: Record<string, string[]>[];
}

/** What a case must get, on top of an answer the document lists. */
type Expect = number | 'valid' | 'unknown id' | 'client error' | 'documented' | 'outage';
/** `field`: the field a 400's message must name first ("name: ..."). */
interface Case {
  name: string;
  expect: Expect;
  inject: InjectOptions;
  down?: boolean;
  field?: string;
}
interface Parts {
  params?: Record<string, string>;
  query?: unknown;
  body?: unknown; // sent as JSON
  raw?: { type: string; payload: string }; // sent as is
  headers?: Record<string, string>; // instead of the operation's credentials
  noBody?: boolean;
  withFilters?: boolean; // a cursor sent with the other parameters of `query`
  field?: string;
}

function meets(expect: Expect, status: number): boolean {
  if (typeof expect === 'number') return status === expect;
  if (expect === 'valid') return status < 300 || status === 404 || status === 409; // a deleted id, a duplicate name
  if (expect === 'unknown id') return status < 300 || status === 404; // a list of an unknown team is empty, not an error
  if (expect === 'client error') return status >= 400 && status < 500;
  if (expect === 'outage') return status < 300 || status === 503; // /health and /metrics need no database
  return true;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const BODY_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE'];
const BODY_LIMIT = 256 * 1024;
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const CURSOR = '<cursor>';

/** Real ids and keys to put in requests, and one generator for JSON bodies, one for text (query, path). */
async function fixtures(t: Test, app: FastifyInstance, db: Db, config: Config) {
  const expect = async (status: number, res: Promise<LightMyRequestResponse>) => {
    const r = await res;
    if (r.statusCode !== status) throw new Error(`setup: expected ${status}, got ${r.statusCode} ${r.payload}`);
    return r;
  };
  const created = async (res: Promise<LightMyRequestResponse>) => (await expect(201, res)).json<{ id: string }>().id;
  const admin = (method: 'POST' | 'DELETE', url: string, payload?: object) =>
    app.inject({ method, url, payload, headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
  const a = await projectWithKey(db);
  const b = await projectWithKey(db); // its key is "another project's key"
  const api = projectClient(app, a.projectId, a.key);
  const thread = await api.chat('How do I install the CLI?');
  await api.chat('Why does my build fail?'); // two threads: a page of one has a `next` cursor
  let n = 0;
  const category = () => created(api.post('/categories/', { name: `fixture ${++n}` }));
  const apiKey = async () =>
    (await expect(201, admin('POST', `/admin/v1/projects/${a.projectId}/api-keys`, { name: 'spare' }))).json<
      Static<typeof NewApiKeyResponse>
    >();
  const revoked = await apiKey();
  await expect(204, admin('DELETE', `/admin/v1/api-keys/${revoked.id}`));
  const userId = await created(admin('POST', `/admin/v1/teams/${a.team.id}/users`, { email: 'fixture@example.com' }));
  await expect(201, admin('POST', `/admin/v1/teams/${a.team.id}/users`, { email: 'second@example.com' })); // two users: a page of one has a `next`
  // Webhooks point at a loopback port nothing listens on (WEBHOOK_ALLOW_PRIVATE): a test event sent to one is
  // refused at once, on this machine, and never goes out to a real address.
  const hookUrl = `http://127.0.0.1:${await freePort()}/hook`;
  const webhook = () => created(api.post('/webhooks', { url: hookUrl, events: ['thread.labelled'] }));
  // A files source (a website's would answer a document's PUT with 409) with two documents: a page of one has a `next`.
  const source = () => created(api.post('/sources', { type: 'files', name: 'fixture' }));
  const sourceId = await source();
  const document = async () => {
    const payload = { path: `fixture ${++n}.md`, content: '# Fixture', content_type: 'text/markdown' };
    const url = `/query/v1/projects/${a.projectId}/sources/${sourceId}/documents`;
    return (await expect(202, app.inject({ method: 'PUT', url, payload, headers: { 'x-api-key': a.key } }))).json<{
      id: string;
    }>().id;
  };
  const documentId = await document();
  await document();
  // Two reactions: a feedback page of one has a `next` cursor.
  await expect(200, api.post(`/question-answers/${thread.question_answer_id}/feedback`, { reaction: 'upvote' }));
  await expect(200, api.post(`/question-answers/${thread.question_answer_id}/feedback`, { reaction: 'downvote' }));
  // Two failed jobs (attempts spent): a page of one of the failed jobs has a `next` cursor.
  await db.execute(sql`select graphile_worker.add_job('contract__fixture', '{}') from generate_series(1, 2)`);
  await db.execute(sql`
    update graphile_worker._private_jobs set attempts = max_attempts, last_error = 'fixture'
    where task_id = (select id from graphile_worker._private_tasks where identifier = 'contract__fixture')`);
  // The `next` of a list's first page of one, asked with the operation's own credentials.
  const cursors = new Map<string, string>();
  const cursorFor = async (path: string, headers: Record<string, string>) => {
    if (!cursors.has(path)) {
      const { next } = (await expect(200, app.inject({ url: `${path}?limit=1`, headers }))).json<{
        next: string | null;
      }>();
      if (!next) throw new Error(`setup: ${path} needs two items for a page with a next cursor`);
      cursors.set(path, next);
    }
    return cursors.get(path)!;
  };
  const ids: Record<string, string> = {
    project_id: a.projectId,
    team_id: a.team.id,
    thread_id: thread.thread_id,
    question_answer_id: thread.question_answer_id,
    category_id: await category(),
    user_id: userId,
    key_id: (await apiKey()).id,
    webhook_id: await webhook(),
    source_id: sourceId,
    document_id: documentId,
    url: hookUrl,
    // Stands for a real cursor of the list being asked (cursorFor), put in when the request is made.
    cursor: CURSOR,
    // Values a schema cannot tell from invalid ones: a time zone PostgreSQL knows, and a window start
    // recent enough for the time series' 1,000 daily buckets.
    timezone: 'America/New_York',
    created_after: new Date(Date.now() - 30 * 86_400_000).toISOString(),
  };
  // One address spends its budget of failed authentications: from it, every secured operation owes a 429.
  const blockedAddress = '10.255.255.1';
  // The block lasts a minute and the run longer: spent again before each request that owes the 429 (one
  // request while the address is still blocked).
  const block = async () => {
    let last = 0;
    for (let i = 0; i < 2 * config.AUTH_FAILURES_PER_MINUTE + 2 && last !== 429; i++) {
      last = (
        await app.inject({
          url: '/admin/v1/teams',
          remoteAddress: blockedAddress,
          headers: { authorization: 'Bearer wrong' },
        })
      ).statusCode;
    }
    return last;
  };
  t.equal(
    await block(),
    429,
    `setup: failed authentications from one address end in a 429 (limit ${config.AUTH_FAILURES_PER_MINUTE} a minute)`,
  );

  const known = (name: string) => ids[name];
  return {
    id: (name: string) =>
      ids[name] ??
      (() => {
        throw new Error(`no fixture for path parameter ${name}`);
      })(),
    // What a DELETE removes is created for it, so the fixture stays for every other request.
    fresh: async (name: string): Promise<string> => {
      const made: Record<string, () => Promise<string>> = {
        category_id: category,
        key_id: async () => (await apiKey()).id,
        webhook_id: webhook,
        source_id: source,
        document_id: document,
        team_id: async () => (await projectWithKey(db)).team.id,
        project_id: async () => (await projectWithKey(db)).projectId,
        user_id: () =>
          created(admin('POST', `/admin/v1/teams/${a.team.id}/users`, { email: `spare${++n}@example.com` })),
      };
      return made[name]?.() ?? ids[name];
    },
    cursorFor,
    key: a.key,
    otherKey: b.key,
    wrongSecret: a.key.slice(0, -1) + (a.key.endsWith('A') ? 'B' : 'A'),
    revokedKey: revoked.key,
    blockedAddress,
    block,
    bodies: new Generator(known),
    texts: new Generator(known, true),
  };
}
type Fixtures = Awaited<ReturnType<typeof fixtures>>;

/** The requests of one operation: valid ones, then invalid ones of every kind (credentials, path, query, body). */
async function casesFor(op: Operation, fx: Fixtures): Promise<Case[]> {
  const params = (where: string) => (op.parameters ?? []).filter((p) => p.in === where);
  const query = params('query');
  const querySchema: Schema = {
    type: 'object',
    properties: Object.fromEntries(query.map((p) => [p.name, p.schema])),
    required: query.filter((p) => p.required).map((p) => p.name),
  };
  const bodySchema = op.requestBody?.content['application/json']?.schema;
  const schemes = (op.security ?? []).flatMap((s) => Object.keys(s));
  const apiKey = schemes.includes('apiKey');
  const admin = schemes.includes('adminToken');
  const auth: Record<string, string> = apiKey
    ? { 'x-api-key': fx.key }
    : admin
      ? { authorization: `Bearer ${ADMIN_TOKEN}` }
      : {};
  // What a DELETE removes: the resource the path ends with (not the project of DELETE .../categories/relabel).
  const deleted = op.method === 'DELETE' ? /\{(\w+)\}\/?$/.exec(op.path)?.[1] : undefined;
  const json = (v: unknown) => (v === undefined ? undefined : { type: 'application/json', payload: JSON.stringify(v) });
  const plainQuery = () => fx.texts.valid(querySchema)[0].value;
  const plainBody = () => bodySchema && fx.bodies.valid(bodySchema)[0].value;

  const make = async (name: string, expect: Expect, o: Parts = {}): Promise<Case> => {
    const values: Record<string, string> = {};
    for (const p of params('path')) values[p.name] = p.name === deleted ? await fx.fresh(p.name) : fx.id(p.name);
    Object.assign(values, o.params);
    const path = op.path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name]));
    let query = o.query ?? plainQuery();
    // A cursor carries its list's filters: it is sent alone (a limit may change), or with the filters of o.query.
    if (isObject(query) && query.cursor === CURSOR) {
      const cursor = await fx.cursorFor(path, auth);
      query = o.withFilters ? { ...query, cursor } : { cursor, ...('limit' in query && { limit: query.limit }) };
    }
    const qs = new URLSearchParams(asText(query) as Record<string, string>).toString();
    const body = o.raw ?? (o.noBody ? undefined : json('body' in o ? o.body : plainBody()));
    const headers = { ...(o.headers ?? auth), ...(body && { 'content-type': body.type }) };
    return {
      name,
      expect,
      field: o.field,
      inject: { method: op.method, url: qs ? `${path}?${qs}` : path, headers, payload: body?.payload },
    };
  };

  const out: Case[] = [];
  // Valid: each query sample with the plainest body, then each other body sample with the plainest query.
  const querySamples = query.length ? fx.texts.valid(querySchema) : [{ label: 'plain request', value: {} }];
  for (const q of querySamples) out.push(await make(`valid: ${q.label}`, 'valid', { query: q.value }));
  for (const b of bodySchema ? fx.bodies.valid(bodySchema).slice(1) : [])
    out.push(await make(`valid body: ${b.label}`, 'valid', { body: b.value }));
  for (const p of params('path')) {
    // On project routes an unknown project id is another project's: the 403 case below.
    if (!(apiKey && p.name === 'project_id'))
      out.push(await make(`unknown ${p.name}`, 'unknown id', { params: { [p.name]: UNKNOWN_ID } }));
  }

  if (apiKey) {
    const keys = {
      'no API key': undefined,
      'malformed API key': 'not-a-key',
      'API key with a wrong secret': fx.wrongSecret,
      'revoked API key': fx.revokedKey,
    };
    for (const [name, key] of Object.entries(keys))
      out.push(await make(name, 401, { headers: key ? { 'x-api-key': key } : {} }));
    out.push(await make("another project's API key", 403, { headers: { 'x-api-key': fx.otherKey } }));
  }
  if (admin) {
    const tokens = {
      'no admin token': undefined,
      'wrong admin token': `Bearer wrong-${ADMIN_TOKEN}`,
      'admin token without Bearer': ADMIN_TOKEN,
      'a project API key as admin token': `Bearer ${fx.key}`,
    };
    for (const [name, token] of Object.entries(tokens))
      out.push(await make(name, 401, { headers: token ? { authorization: token } : {} }));
  }
  if (schemes.length) {
    const blocked = await make('after too many failed authentications from this address', 429);
    out.push({ ...blocked, inject: { ...blocked.inject, remoteAddress: fx.blockedAddress } });
  }

  // The document cannot say which 4xx a malformed path gets (a project route checks the key first: 403).
  for (const p of params('path')) {
    for (const x of fx.texts.invalid(p.schema, p.name)) {
      out.push(await make(`${p.name}: ${x.label}`, 'client error', { params: { [p.name]: String(x.value) } }));
    }
  }
  // Only whole objects: a query string cannot be anything else.
  for (const x of fx.texts.invalid(querySchema).filter((x) => isObject(x.value))) {
    out.push(await make(`query ${x.label}`, 400, { query: x.value }));
  }
  // Text PostgreSQL cannot store, in every string of the query (a NUL: a lone surrogate cannot travel in a URL).
  for (const x of fx.texts.badTexts(querySchema, '', { surrogates: false })) {
    out.push(await make(`query ${x.field}: ${x.label}`, 400, { query: x.value, field: x.field }));
  }
  const filter = query.find((p) => !['cursor', 'limit'].includes(p.name));
  if (filter && query.some((p) => p.name === 'cursor')) {
    const value = fx.texts.valid(filter.schema, filter.name)[0].value;
    out.push(
      await make('a cursor with a filter it does not carry', 400, {
        query: { cursor: CURSOR, [filter.name]: value },
        withFilters: true,
      }),
    );
  }
  // Whether unknown query parameters are refused or ignored, OpenAPI cannot say: either is truthful.
  out.push(
    await make('unknown query parameter', 'documented', { query: { ...(plainQuery() as object), unknown_param: '1' } }),
  );

  if (bodySchema) {
    for (const x of fx.bodies.invalid(bodySchema)) out.push(await make(`body ${x.label}`, 400, { body: x.value }));
    for (const x of fx.bodies.badTexts(bodySchema))
      out.push(await make(`body ${x.field}: ${x.label}`, 400, { body: x.value, field: x.field }));
    if (op.requestBody?.required) out.push(await make('no body', 400, { noBody: true }));
  }
  if (BODY_METHODS.includes(op.method)) {
    out.push(await make('invalid JSON', 400, { raw: { type: 'application/json', payload: '{"oops' } }));
    out.push(
      await make('text/plain body', 415, { raw: { type: 'text/plain', payload: JSON.stringify(plainBody() ?? {}) } }),
    );
    // A document's PUT takes up to 5 MB of content.
    const limit = op.method === 'PUT' && op.path.endsWith('/documents') ? DOCUMENT_BODY_LIMIT : BODY_LIMIT;
    const large = JSON.stringify({ padding: 'x'.repeat(limit) });
    out.push(await make('body over 256 KiB', 413, { raw: { type: 'application/json', payload: large } }));
  }
  out.push({ ...(await make('database unreachable', 'outage')), down: true });
  return out;
}

/** Every promise of the document about one answer. */
function check(t: Test, ajv: Ajv, op: Operation, c: Case, res: LightMyRequestResponse) {
  const at = `${op.method} ${op.path} [${c.name}]`;
  const status = res.statusCode;
  const got = `${status} ${res.payload.slice(0, 300)}`;
  t.ok(res.headers['x-request-id'], `${at}: has an x-request-id header`);
  t.ok(status < 500 || (c.expect === 'outage' && status === 503), `${at}: no 5xx (got ${got})`);
  t.ok(meets(c.expect, status), `${at}: expected ${c.expect}, got ${got}`);
  const type = String(res.headers['content-type'] ?? '')
    .split(';')[0]
    .trim();
  let body: unknown = res.payload;
  if (
    (type === 'application/json' || type.endsWith('+json')) &&
    !t.doesNotThrow(() => {
      body = JSON.parse(res.payload);
    }, `${at}: the body is JSON`)
  )
    return;
  if (status >= 400) {
    const shape =
      isObject(body) &&
      body.statusCode === status &&
      typeof body.error === 'string' &&
      typeof body.message === 'string';
    const extra =
      isObject(body) && Object.keys(body).some((k) => !['statusCode', 'error', 'message', 'code'].includes(k));
    const code = isObject(body) && (body.code === undefined || typeof body.code === 'string');
    t.ok(
      shape && code && !extra,
      `${at}: the one error shape {statusCode: ${status}, error, message, code?}, got ${got}`,
    );
    const message = isObject(body) ? String(body.message) : '';
    if (status === 400) {
      t.notMatch(
        message,
        /must match|must be equal|must have|anyOf|oneOf|pattern|\(\?:|\\[sSu]|\^/,
        `${at}: the message is written for people, without schema keywords or regular expressions: ${message}`,
      );
    }
    if (c.field !== undefined)
      t.ok(message.startsWith(`${c.field}: `), `${at}: the message names the field "${c.field}" first: ${message}`);
  }
  const response = op.responses[String(status)];
  if (!t.ok(response, `${at}: status ${status} is documented (documented: ${Object.keys(op.responses).join(', ')})`))
    return;
  if (status === 204) return void t.equal(res.payload, '', `${at}: a 204 has no body`);
  const media = response.content?.[type];
  const listed = Object.keys(response.content ?? {}).join(', ') || 'none';
  if (!t.ok(media, `${at}: content type "${type}" of a ${status} is documented (documented: ${listed})`)) return;
  const validate = ajv.compile(media!.schema);
  t.ok(
    validate(body),
    `${at}: the ${status} body matches its documented schema: ${ajv.errorsText(validate.errors)}; got ${got}`,
  );
}

/** The same app on a database that is not there: nothing listens on the port. */
async function appWithoutDatabase(t: Test) {
  const url = `postgres://nobody@127.0.0.1:${await freePort()}/none`;
  const db = createDb(url, { max: 1 });
  const app = await buildApp({
    config: loadConfig({ DATABASE_URL: url, ADMIN_TOKEN, LOG_LEVEL: 'silent', LLM_LATENCY_MS: '0' }),
    db,
  });
  t.teardown(async () => {
    await app.close();
    await closeDb(db);
  });
  return app;
}

t.test('the OpenAPI document tells the truth: requests generated from it get only documented answers', async (t) => {
  const { app, db, config } = await build(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'true', SOURCES_ALLOW_PRIVATE: 'true' } });
  const docRes = await app.inject('/docs/json');
  t.equal(docRes.statusCode, 200, 'GET /docs/json');
  const doc = docRes.json<{ paths: Record<string, Record<string, Omit<Operation, 'method' | 'path'>>> }>();
  const fx = await fixtures(t, app, db, config);
  const ajv = openApiAjv();

  const ops: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths)) {
    for (const [key, op] of Object.entries(item)) {
      // Path-level parameters or servers would change every request: refuse them rather than ignore them.
      if (HTTP_METHODS.includes(key)) ops.push({ ...op, method: key.toUpperCase(), path });
      else t.fail(`${path}: path-level "${key}" is not handled by this test`);
    }
  }
  t.ok(ops.length > 0, 'the document lists operations');

  const seen = new Map<number, number>();
  let requests = 0;
  let address = 0;
  const send = async (target: FastifyInstance, op: Operation, c: Case) => {
    // Each request from its own address: only the blocked one ever meets the failed-authentication limit.
    const remoteAddress = `10.0.${++address >> 8}.${address & 255}`;
    if (c.inject.remoteAddress === fx.blockedAddress) await fx.block();
    const res = await target.inject({ remoteAddress, ...c.inject });
    requests++;
    seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
    check(t, ajv, op, c, res);
    return res.statusCode;
  };

  const outage: [Operation, Case][] = [];
  for (const op of ops) {
    for (const s of (op.security ?? []).flatMap((x) => Object.keys(x))) {
      t.ok(
        ['apiKey', 'adminToken'].includes(s),
        `${op.method} ${op.path}: security scheme ${s} is one this test can satisfy`,
      );
    }
    if (op.requestBody) {
      t.same(
        Object.keys(op.requestBody.content),
        ['application/json'],
        `${op.method} ${op.path}: the body is JSON, as this test sends it`,
      );
    }
    let succeeded = false;
    for (const c of await casesFor(op, fx)) {
      if (c.down) outage.push([op, c]);
      else if ((await send(app, op, c)) < 300 && c.expect === 'valid') succeeded = true;
    }
    t.ok(succeeded, `${op.method} ${op.path}: a valid request succeeded (the operation was exercised)`);
  }
  // A documented path with a method it does not have: 405, with the methods it has in Allow.
  // (Unless another documented path of that method matches it too: DELETE .../categories/stats is a request to
  // delete the category "stats", answered by that route.)
  const template = (path: string) => new RegExp(`^${path.replace(/\/$/, '').replace(/\{\w+\}/g, '[^/]+')}/?$`);
  for (const path of new Set(ops.map((op) => op.path))) {
    const url = path.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(fx.id(name)));
    const routed = [...new Set(ops.filter((op) => template(op.path).test(url)).map((op) => op.method))];
    const allow = [...routed, ...(routed.includes('GET') ? ['HEAD'] : [])].sort();
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => !routed.includes(m))) {
      const res = await app.inject({
        method: method as 'GET',
        url,
        headers: { 'x-api-key': fx.key, authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const at = `${method} ${path}`;
      t.equal(res.statusCode, 405, `${at}: 405, not ${res.statusCode}`);
      t.same(
        String(res.headers.allow ?? '')
          .split(', ')
          .sort(),
        allow,
        `${at}: Allow lists ${allow.join(', ')}`,
      );
      t.match(
        res.json(),
        { statusCode: 405, error: 'Method Not Allowed', code: 'METHOD_NOT_ALLOWED' },
        `${at}: the error shape`,
      );
      t.ok(res.headers['x-request-id'], `${at}: has an x-request-id header`);
    }
  }

  // Last: the metrics of the process read the database of the app built last.
  const down = await appWithoutDatabase(t);
  for (const [op, c] of outage) await send(down, op, c);

  const statuses = [...seen].sort(([a], [b]) => a - b).map(([s, n]) => `${s}: ${n}`);
  t.comment(`${ops.length} operations, ${requests} requests; statuses ${statuses.join(', ')}`);
});
