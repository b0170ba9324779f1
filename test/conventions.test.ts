// The API's conventions, shown on the requests a new user makes (test/contract.test.ts tries them on every
// route): text that is not Unicode, messages in words, cursors that carry their filters, 405 with Allow, and
// a 413 the client receives.
import { connect } from 'node:net';
import t from 'tap';
import type { LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import type { Static } from '@sinclair/typebox';
import { ADMIN_TOKEN, build, drain, type ApiError } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import type { ThreadPage } from '../src/schemas/threads.js';

type Threads = Static<typeof ThreadPage>;

const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

t.test('text that is not valid Unicode is a 400 naming the field, never a 500', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);
  // Sent as the JSON text a client writes: the escape of a lone surrogate, and of a NUL.
  const send = (url: string, raw: string) =>
    app.inject({
      method: 'POST',
      url,
      headers: { 'x-api-key': a.key, 'content-type': 'application/json', ...admin },
      payload: raw,
    });
  const cases: [string, string, string][] = [
    [`/query/v1/projects/${a.projectId}/chat`, '{"question": "x\\ud800"}', 'question'],
    [`/query/v1/projects/${a.projectId}/chat`, '{"question": "a\\u0000b"}', 'question'],
    [`/query/v1/projects/${a.projectId}/categories/`, '{"name": "ok", "description": "\\udfff"}', 'description'],
    [
      `/query/v1/projects/${a.projectId}/webhooks`,
      '{"url": "https://93.184.216.34/\\ud800", "events": ["thread.created"]}',
      'url',
    ],
    ['/admin/v1/teams', '{"name": "\\ud83d"}', 'name'],
  ];
  for (const [url, raw, field] of cases) {
    const res = await send(url, raw);
    t.equal(res.statusCode, 400, `${raw}: 400`);
    t.match(
      res.json(),
      { statusCode: 400, code: 'VALIDATION_FAILED', message: `${field}: not valid Unicode text` },
      `${raw}: names ${field}`,
    );
  }
  const query = await api.get('/threads/?created_after=2026-01-01T00:00:00Z%00');
  t.equal(query.statusCode, 400, 'a NUL in the query string');
  t.match(query.json<ApiError>().message, /^created_after: /);
  // A well-formed pair of surrogates is an ordinary character.
  t.equal(
    (await send(`/query/v1/projects/${a.projectId}/chat`, '{"question": "\\ud83d\\ude00 how do I install it?"}'))
      .statusCode,
    200,
  );
});

t.test('validation messages are written for people: the field and its rule in words', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);
  const message = async (res: Promise<LightMyRequestResponse>) => {
    const r = await res;
    t.equal(r.statusCode, 400);
    return r.json<ApiError>().message;
  };
  t.equal(
    await message(api.post('/categories/', { name: '   ' })),
    'name: text of 1 to 100 characters after trimming, not blank',
  );
  t.equal(
    await message(api.post('/categories/', { name: 'x'.repeat(101) })),
    'name: text of 1 to 100 characters after trimming, not blank',
  );
  t.equal(await message(api.post('/categories/', {})), 'name: required');
  t.equal(
    await message(api.post('/categories/', { name: 'ok', colour: 'red' })),
    'colour: not a known field (known: name, description)',
  );
  t.equal(await message(api.get('/categories/stats/timeseries?interval=year')), 'interval: one of day, week, month');
  t.equal(await message(api.get('/threads/?limit=500')), 'limit: an integer from 1 to 100');
  t.equal(await message(api.get('/threads/?category_id=mine')), 'category_id: a UUID, or none');
  t.equal(
    await message(api.get('/threads/?created_after=yesterday')),
    'created_after: an ISO 8601 date-time with its offset (e.g. 2026-11-02T09:30:00Z)',
  );
  t.equal(await message(api.post('/chat', { question: 42 })), 'question: text of at most 10,000 characters, not blank');
  t.equal(
    await message(api.post('/webhooks', { url: 'https://93.184.216.34/hook', events: ['thread.deleted'] })),
    'events[0]: one of thread.created, thread.labelled',
  );
  t.equal(
    await message(app.inject({ method: 'POST', url: '/admin/v1/teams', headers: admin, payload: [1] })),
    'body: a JSON object',
  );

  // Valid JSON is never called invalid: a __proto__ key has its own message.
  const proto = await app.inject({
    method: 'POST',
    url: '/admin/v1/teams',
    headers: { ...admin, 'content-type': 'application/json' },
    payload: '{"name": "x", "__proto__": {"admin": true}}',
  });
  t.equal(proto.statusCode, 400);
  t.equal(proto.json<ApiError>().message, 'body: a "__proto__" or "constructor.prototype" key is not accepted');
  const broken = await app.inject({
    method: 'POST',
    url: '/admin/v1/teams',
    headers: { ...admin, 'content-type': 'application/json' },
    payload: '{"name": ',
  });
  t.equal(broken.statusCode, 400);
  t.match(broken.json<ApiError>().message, /^body: not valid JSON \(/);
});

t.test('a cursor carries its filters: alone it continues the same list; with other filters it is a 400', async (t) => {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  for (let i = 0; i < 6; i++)
    await api.chat(i % 2 ? `Why does step ${i} fail with an error?` : `How do I set up part ${i}?`);
  await drain(ctx);
  const [discovery] = await ctx.db.execute<{ id: string }>(
    sql`select id from categories where project_id = ${a.projectId} and name = 'Discovery'`,
  );
  const filtered = (await api.get(`/threads/?category_id=${discovery.id}`)).json<Threads>().results.map((r) => r.id);
  t.ok(filtered.length >= 2 && filtered.length < 6, `some threads are Discovery (${filtered.length})`);

  // The README's way: the first page with the filter, then the cursor alone.
  const seen: string[] = [];
  let page = (await api.get(`/threads/?category_id=${discovery.id}&limit=1`)).json<Threads>();
  seen.push(...page.results.map((r) => r.id));
  while (page.next) {
    page = (await api.get(`/threads/?cursor=${page.next}&limit=1`)).json<Threads>();
    seen.push(...page.results.map((r) => r.id));
  }
  t.same(seen, filtered, 'the cursor alone continued the filtered list');

  const next = (await api.get(`/threads/?category_id=${discovery.id}&limit=1`)).json<Threads>().next;
  t.equal(
    (await api.get(`/threads/?category_id=${discovery.id}&cursor=${next}`)).statusCode,
    200,
    'with the same filters: fine',
  );
  const other = await api.get(`/threads/?category_id=none&cursor=${next}`);
  t.equal(other.statusCode, 400, 'with another filter: 400');
  t.match(other.json(), { code: 'INVALID_CURSOR', message: /category_id=none/ });

  // The sync order: the cursor alone continues it too (it used to be refused).
  const sync = (await api.get('/threads/?updated_since=2000-01-01T00:00:00Z&limit=2')).json<Threads>();
  const more = await api.get(`/threads/?cursor=${sync.next}`);
  t.equal(more.statusCode, 200);
  t.equal(more.json<Threads>().results.length, 4, 'the rest of the sync list');
  // A cursor whose carried filters were tampered with is refused like any other bad cursor.
  const forged = Buffer.from(
    JSON.stringify({ l: 'threads', f: { category_source: 'robot' }, p: ['2026-01-01 00:00:00+00', a.projectId] }),
  ).toString('base64url');
  t.match((await api.get(`/threads/?cursor=${forged}`)).json(), { statusCode: 400, code: 'INVALID_CURSOR' });
});

t.test('a known path with an unsupported method is a 405 with Allow', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const res = await app.inject({
    method: 'PUT',
    url: `/query/v1/projects/${a.projectId}/chat`,
    headers: { 'x-api-key': a.key },
  });
  t.equal(res.statusCode, 405);
  t.equal(res.headers.allow, 'POST');
  t.match(res.json(), {
    statusCode: 405,
    error: 'Method Not Allowed',
    code: 'METHOD_NOT_ALLOWED',
    message: /use POST/,
  });
  const teams = await app.inject({ method: 'DELETE', url: '/admin/v1/teams/' });
  t.equal(teams.statusCode, 405, 'with a trailing slash too');
  t.same(String(teams.headers.allow).split(', ').sort(), ['GET', 'HEAD', 'POST']);
  t.equal(
    (await app.inject({ method: 'GET', url: '/no/such/route' })).statusCode,
    404,
    'an unknown path is still a 404',
  );
});

t.test('a body over the limit: the client that sends it all before reading receives the 413', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as { port: number };
  const body = JSON.stringify({ question: 'x'.repeat(5 * 2 ** 20) });
  // As many clients do: the whole request is written, and only then is the answer read.
  const answer = () =>
    new Promise<string>((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      let received = '';
      let written = false;
      socket.pause(); // nothing is read before the body is written
      socket.on('data', (d: Buffer) => (received += d.toString()));
      socket.on('error', (err) =>
        reject(new Error(`${err.message} after ${written ? 'writing the whole body' : 'part of the body'}`)),
      );
      socket.on('end', () => resolve(received));
      const head =
        `POST /query/v1/projects/${a.projectId}/chat HTTP/1.1\r\nhost: x\r\nx-api-key: ${a.key}\r\n` +
        `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
      socket.write(head + body, (err) => {
        written = !err;
        socket.resume();
      });
    });
  for (let i = 0; i < 5; i++) {
    const res = await answer();
    t.match(res, /^HTTP\/1\.1 413 /, `try ${i + 1}: the 413 arrived`);
    t.match(res, /"code":"PAYLOAD_TOO_LARGE"/);
  }
});
