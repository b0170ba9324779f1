// Webhooks that can be read, changed and tested; deliveries that say why they failed, in words; one warning
// line per failed attempt, without a stack; URLs with credentials refused and never shown.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Static } from '@sinclair/typebox';
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { build, drain } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import { receiver, type Received } from './receiver.js';
import { createWebhook } from '../src/db/queries/webhooks.js';
import { newSecret } from '../src/webhooks/delivery.js';
import { failureReason } from '../src/net/failure-reason.js';
import type { ErrorSchema } from '../src/schemas/common.js';
import type { CreatedWebhook, Delivery, Webhook as WebhookJson } from '../src/schemas/webhooks.js';

type WebhookBody = Static<typeof WebhookJson>;
type Results<T> = { results: T[] };

/** A loopback port nothing listens on: a server is opened there, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function setup(t: Test, env: Record<string, string> = { WEBHOOK_ALLOW_PRIVATE: 'true' }) {
  const ctx = await build(t, { env });
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const b = await projectWithKey(ctx.db);
  const apiB = projectClient(ctx.app, b.projectId, b.key);
  return { ctx, a, api, apiB };
}

/** A webhook's delivery log, as the API lists it. */
const deliveriesOf = async (api: ReturnType<typeof projectClient>, webhookId: string) =>
  (await api.get(`/webhooks/${webhookId}/deliveries`)).json<Results<Static<typeof Delivery>>>().results;

const verified = (secret: string, r: Received) =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  }) as { id: string; type: string; created_at: string; data: Record<string, unknown> };

t.test(
  'a webhook is read and changed; disabled it gets no new events, enabled again it does; the secret stays',
  async (t) => {
    const { ctx, api, apiB } = await setup(t);
    const first = await receiver(t);
    const created = (
      await api.post('/webhooks', { url: first.url, events: ['thread.created'], description: 'CRM' })
    ).json<Static<typeof CreatedWebhook>>();

    const read = await api.get(`/webhooks/${created.id}`);
    t.equal(read.statusCode, 200);
    t.same(read.json(), {
      id: created.id,
      url: first.url,
      events: ['thread.created'],
      description: 'CRM',
      enabled: true,
      created_at: created.created_at,
    });
    t.notOk('secret' in read.json<WebhookBody>(), 'no secret');
    t.match((await api.get('/webhooks')).json<Results<WebhookBody>>().results, [{ id: created.id, enabled: true }]);

    const off = await api.patch(`/webhooks/${created.id}`, { enabled: false });
    t.equal(off.statusCode, 200);
    t.match(off.json(), { id: created.id, url: first.url, description: 'CRM', enabled: false });
    await api.chat('Asked while the webhook is off');
    await drain(ctx);
    t.equal(first.received.length, 0, 'a disabled webhook gets nothing');
    t.same(await deliveriesOf(api, created.id), [], 'and no delivery is recorded');

    // Enabled again, pointing elsewhere, listening to both events, without a description.
    const second = await receiver(t);
    const changed = await api.patch(`/webhooks/${created.id}`, {
      enabled: true,
      url: second.url,
      events: ['thread.created', 'thread.labelled'],
      description: null,
    });
    t.equal(changed.statusCode, 200);
    t.same(changed.json(), {
      id: created.id,
      url: second.url,
      events: ['thread.created', 'thread.labelled'],
      description: null,
      enabled: true,
      created_at: created.created_at,
    });
    t.same((await api.get(`/webhooks/${created.id}`)).json(), changed.json(), 'read back as changed');
    t.same((await api.patch(`/webhooks/${created.id}`, {})).json(), changed.json(), 'an empty change changes nothing');
    await api.chat('Asked once it is on again');
    await drain(ctx);
    t.equal(first.received.length, 0, 'nothing to the old URL');
    t.same(
      second.received.map((r) => verified(created.secret, r).type).sort(),
      ['thread.created', 'thread.labelled'],
      'signed with the same secret',
    );

    for (const body of [
      { enabled: 'yes' },
      { events: [] },
      { events: ['thread.deleted'] },
      { url: 'not a url' },
      { secret: newSecret() },
      { description: 'x'.repeat(501) },
    ]) {
      t.equal((await api.patch(`/webhooks/${created.id}`, body)).statusCode, 400, JSON.stringify(body).slice(0, 60));
    }

    // Another project's webhook, an unknown one: 404 on every route, and nothing changes.
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const id of [created.id, unknown]) {
      const client = id === unknown ? api : apiB;
      t.equal((await client.get(`/webhooks/${id}`)).statusCode, 404);
      t.equal((await client.patch(`/webhooks/${id}`, { enabled: false })).statusCode, 404);
      t.equal((await client.patch(`/webhooks/${id}`, { url: 'https://93.184.216.34/elsewhere' })).statusCode, 404);
      const tested = await client.post(`/webhooks/${id}/test`, {});
      t.equal(tested.statusCode, 404);
      t.match(tested.json(), { statusCode: 404, message: 'webhook not found' });
    }
    t.match(
      (await api.get(`/webhooks/${created.id}`)).json(),
      { enabled: true, url: second.url },
      "B's attempts changed nothing",
    );
    t.equal(second.received.length, 2, "B's test sent nothing");
  },
);

t.test(
  'the test button: a signed webhook.test at once, not stored; 2xx, 500, no answer, refused connection',
  async (t) => {
    const { ctx, a, api } = await setup(t, { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '300' });
    const ok = await receiver(t, [204]);
    const hook = (await api.post('/webhooks', { url: ok.url, events: ['thread.created'] })).json<
      Static<typeof CreatedWebhook>
    >();

    const res = await api.post(`/webhooks/${hook.id}/test`, {});
    t.equal(res.statusCode, 200);
    t.match(res.json(), { delivered: true, response_status: 204, error: null, duration_ms: Number });
    t.equal(ok.received.length, 1, 'sent before the answer');
    const event = verified(hook.secret, ok.received[0]);
    t.match(event, { id: /^msg_/, type: 'webhook.test', created_at: /Z$/, data: {} });
    t.equal(event.id, ok.received[0].headers['webhook-id']);
    t.same(await deliveriesOf(api, hook.id), [], 'a test is not a delivery');
    const [jobs] = await ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from graphile_worker.jobs`);
    t.equal(jobs.n, 0, 'nor a job');

    // Disabled, it can still be tried; with no body at all, as curl -X POST sends it.
    await api.patch(`/webhooks/${hook.id}`, { enabled: false });
    const bare = await ctx.app.inject({
      method: 'POST',
      url: `/query/v1/projects/${a.projectId}/webhooks/${hook.id}/test`,
      headers: { 'x-api-key': a.key },
    });
    t.match(bare.json(), { delivered: true });
    t.equal(ok.received.length, 2);

    const cases: [string, string, object][] = [
      ['500', (await receiver(t, [500])).url, { delivered: false, response_status: 500, error: 'HTTP 500' }],
      [
        'no answer',
        (await receiver(t, [0])).url,
        { delivered: false, response_status: null, error: 'timed out after 300 ms' },
      ],
      [
        'nothing listening',
        `http://127.0.0.1:${await closedPort()}/hooks`,
        { delivered: false, response_status: null, error: 'connection refused' },
      ],
    ];
    for (const [name, url, expected] of cases) {
      const other = await createWebhook(ctx.db, {
        projectId: a.projectId,
        url,
        events: ['thread.created'],
        secret: newSecret(),
      });
      const tested = await api.post(`/webhooks/${other.id}/test`, {});
      t.equal(tested.statusCode, 200, name);
      t.match(tested.json(), expected, name);
    }
  },
);

t.test('without WEBHOOK_ALLOW_PRIVATE, a test to a private address is refused and nothing is sent', async (t) => {
  const { ctx, a, api } = await setup(t, {});
  const hook = await receiver(t);
  for (const url of [hook.url, `http://localhost:${hook.port}/hooks`]) {
    // Written straight to the database: the API refuses such a URL.
    const row = await createWebhook(ctx.db, {
      projectId: a.projectId,
      url,
      events: ['thread.created'],
      secret: newSecret(),
    });
    const tested = await api.post(`/webhooks/${row.id}/test`, {});
    t.equal(tested.statusCode, 200, url);
    t.match(tested.json(), { delivered: false, response_status: null, error: 'address refused: private network' }, url);
  }
  t.equal(hook.received.length, 0, 'nothing sent');
  t.equal(
    (
      await api.patch(`/webhooks/${(await api.get('/webhooks')).json<Results<WebhookBody>>().results[0].id}`, {
        url: 'http://10.0.0.7/hook',
      })
    ).statusCode,
    400,
    'nor stored by a change',
  );
});

t.test(
  'each delivery says why its last attempt failed; one warning line per failed attempt, without a stack or the URL',
  async (t) => {
    const { ctx, a, api } = await setup(t, {});
    const allowed = { ...ctx, config: { ...ctx.config, WEBHOOK_ALLOW_PRIVATE: true, WEBHOOK_TIMEOUT_MS: 300 } };
    const failing = await receiver(t, [500, 200]);
    const hanging = await receiver(t, [0]);
    const hooks = {
      failing: failing.url,
      hanging: hanging.url,
      refusedConnection: `http://127.0.0.1:${await closedPort()}/hooks`,
    };
    const ids: Record<string, string> = {};
    for (const [name, url] of Object.entries(hooks)) {
      ids[name] = (
        await createWebhook(ctx.db, { projectId: a.projectId, url, events: ['thread.created'], secret: newSecret() })
      ).id;
    }
    // In another project, to be delivered under the service's own rules (the others with private addresses allowed).
    const b = await projectWithKey(ctx.db);
    const privateHook = await createWebhook(ctx.db, {
      projectId: b.projectId,
      url: failing.url,
      events: ['thread.created'],
      secret: newSecret(),
    });

    /** Makes the delivery jobs due now instead of after graphile-worker's backoff. */
    const retryNow = () =>
      ctx.db.execute(
        sql`select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where task_identifier = 'webhooks__deliver'), run_at := now())`,
      );
    const lines: string[] = [];
    const log = pino({ level: 'debug' }, { write: (line: string) => void lines.push(line) });
    await projectClient(ctx.app, b.projectId, b.key).chat('How do I rotate keys?');
    await drain(ctx, { log });
    await api.chat('How do I rotate keys?');
    await drain(allowed, { log });

    const deliveries = (id: string, client = api) => deliveriesOf(client, id);
    t.match(await deliveries(privateHook.id, projectClient(ctx.app, b.projectId, b.key)), [
      { status: 'failed', attempts: 1, response_status: null, error: 'address refused: private network' },
    ]);
    t.match(await deliveries(ids.failing), [
      { status: 'pending', attempts: 1, response_status: 500, error: 'HTTP 500' },
    ]);
    t.match(await deliveries(ids.hanging), [
      { status: 'pending', attempts: 1, response_status: null, error: 'timed out after 300 ms' },
    ]);
    t.match(await deliveries(ids.refusedConnection), [
      { status: 'pending', attempts: 1, response_status: null, error: 'connection refused' },
    ]);

    const parsed = lines.map(
      (l) => JSON.parse(l) as { level: number; msg: string; reason?: string; webhook_id?: string; err?: unknown },
    );
    const warnings = parsed.filter((l) => l.level === 40);
    t.same(
      warnings.map((w) => [w.webhook_id, w.reason]).sort(),
      [
        [privateHook.id, 'address refused: private network'],
        [ids.failing, 'HTTP 500'],
        [ids.hanging, 'timed out after 300 ms'],
        [ids.refusedConnection, 'connection refused'],
      ].sort(),
      'one warning per failed attempt',
    );
    t.equal(parsed.filter((l) => l.level > 40).length, 0, 'no error line');
    t.notOk(
      lines.some((l) => /\\n\s+at /.test(l) || l.includes('"stack"')),
      'no stack trace in any line',
    );
    t.notOk(
      lines.some((l) => l.includes(`:${failing.port}/`) || l.includes(`:${hanging.port}/`)),
      'no URL',
    );

    // The retry delivers: the error is cleared.
    await retryNow();
    lines.length = 0;
    await drain(allowed, { log });
    t.match(await deliveries(ids.failing), [{ status: 'delivered', attempts: 2, response_status: 200, error: null }]);
    t.equal(
      lines.map((l) => JSON.parse(l) as { level: number }).filter((l) => l.level === 40).length,
      2,
      'the two still failing: a warning each',
    );
  },
);

t.test('failures in words, from the errors node:http and node:dns give', (t) => {
  const err = (code: string) => Object.assign(new Error(`getaddrinfo ${code} hooks.example`), { code });
  t.equal(failureReason(200, 10_000), null);
  t.equal(failureReason(299, 10_000), null);
  t.equal(failureReason(302, 10_000), 'HTTP 302');
  t.equal(failureReason(503, 10_000), 'HTTP 503');
  t.equal(failureReason(err('ENOTFOUND'), 10_000), 'host not found');
  t.equal(failureReason(err('ECONNREFUSED'), 10_000), 'connection refused');
  t.equal(failureReason(err('ECONNRESET'), 10_000), 'connection reset');
  t.equal(
    failureReason(
      Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' }),
      10_000,
    ),
    'timed out after 10 s',
  );
  t.equal(failureReason(err('EWHATEVER'), 10_000), 'request failed (EWHATEVER)');
  t.equal(
    failureReason(new Error('https://alice:s3cret@x/'), 10_000),
    'request failed',
    'never the message, which may carry the URL',
  );
  t.end();
});

t.test(
  'a URL with credentials is refused at creation and at change, without repeating them; never listed',
  async (t) => {
    for (const env of [{}, { WEBHOOK_ALLOW_PRIVATE: 'true' }] as Record<string, string>[]) {
      const { ctx, a, api } = await setup(t, env);
      const good = (
        await api.post('/webhooks', { url: 'https://93.184.216.34/hook', events: ['thread.created'] })
      ).json<Static<typeof CreatedWebhook>>();
      for (const url of [
        'https://alice:s3cr3t@93.184.216.34/hook',
        'https://alice@93.184.216.34/hook',
        'https://:s3cr3t@93.184.216.34/hook',
      ]) {
        for (const res of [
          await api.post('/webhooks', { url, events: ['thread.created'] }),
          await api.patch(`/webhooks/${good.id}`, { url }),
        ]) {
          t.equal(res.statusCode, 400, url);
          t.match(res.json<Static<typeof ErrorSchema>>().message, /^url: credentials/, url);
          t.notOk(/alice|s3cr3t/.test(res.body), 'the credentials are not repeated');
        }
      }
      t.same(
        (await api.get('/webhooks')).json<Results<WebhookBody>>().results.map((w) => w.url),
        ['https://93.184.216.34/hook'],
        'nothing stored, nothing changed',
      );

      // One stored before such URLs were refused is shown without them.
      const old = await createWebhook(ctx.db, {
        projectId: a.projectId,
        url: 'https://alice:s3cr3t@93.184.216.34/old',
        events: ['thread.created'],
        secret: newSecret(),
      });
      t.equal((await api.get(`/webhooks/${old.id}`)).json<WebhookBody>().url, 'https://93.184.216.34/old');
      t.notOk(/alice|s3cr3t/.test((await api.get('/webhooks')).body), 'not in the list');
    }
  },
);
