// Webhooks for thread.created and thread.labelled, signed the Standard Webhooks way, delivered by jobs added
// with the change, retried, logged; never to a private address unless WEBHOOK_ALLOW_PRIVATE.
import type { Static } from '@sinclair/typebox';
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { Webhook } from 'standardwebhooks';
import { build, drain } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import { receiver, type Received } from './receiver.js';
import { saveClassifierLabels } from '../src/db/queries/classification.js';
import { createWebhook } from '../src/db/queries/webhooks.js';
import { newSecret } from '../src/webhooks/delivery.js';
import type { Category } from '../src/schemas/categories.js';
import type { Thread, ThreadDetail } from '../src/schemas/threads.js';
import type { CreatedWebhook, Delivery, Webhook as WebhookJson } from '../src/schemas/webhooks.js';

type Results<T> = { results: T[] };
type Event = { id: string; type: string; created_at: string; data: { thread: Static<typeof Thread> } };

async function setup(t: Test, env: Record<string, string> = { WEBHOOK_ALLOW_PRIVATE: 'true' }) {
  const ctx = await build(t, { env });
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  return { ctx, a, api };
}

/** The Standard Webhooks reference library's check: the payload, or a throw. */
const verified = (secret: string, r: Received) =>
  new Webhook(secret).verify(r.body, {
    'webhook-id': String(r.headers['webhook-id']),
    'webhook-timestamp': String(r.headers['webhook-timestamp']),
    'webhook-signature': String(r.headers['webhook-signature']),
  }) as Event;

/** A webhook's delivery log, as the API lists it. */
const deliveriesOf = async (api: ReturnType<typeof projectClient>, webhookId: string) =>
  (await api.get(`/webhooks/${webhookId}/deliveries`)).json<Results<Static<typeof Delivery>>>().results;

t.test(
  'thread.created and thread.labelled: signed, verified by the reference library, logged as delivered',
  async (t) => {
    const { ctx, api } = await setup(t);
    const hook = await receiver(t);
    const created = await api.post('/webhooks', {
      url: hook.url,
      events: ['thread.created', 'thread.labelled'],
      description: 'CRM',
    });
    t.equal(created.statusCode, 201);
    const webhook = created.json<Static<typeof CreatedWebhook>>();
    t.match(webhook, {
      url: hook.url,
      events: ['thread.created', 'thread.labelled'],
      description: 'CRM',
      secret: /^whsec_[A-Za-z0-9+/]{43}=$/,
    });
    t.notOk(
      'secret' in (await api.get('/webhooks')).json<Results<Static<typeof WebhookJson>>>().results[0],
      'the secret is shown once',
    );

    const { thread_id: threadId } = await api.chat('How do I configure the CLI?');
    await drain(ctx); // the classification, then both deliveries
    t.equal(hook.received.length, 2);
    const events = hook.received.map((r) => verified(webhook.secret, r));
    t.same(events.map((e) => e.type).sort(), ['thread.created', 'thread.labelled']);
    for (const [i, e] of events.entries()) {
      t.equal(e.id, hook.received[i].headers['webhook-id'], "the body's id is the webhook-id");
      t.equal(e.data.thread.id, threadId);
    }
    const createdEvent = events.find((e) => e.type === 'thread.created')!;
    t.equal(createdEvent.data.thread.category, null, 'thread.created: as it was created, unlabelled');
    const labelled = events.find((e) => e.type === 'thread.labelled')!;
    const detail: Partial<Static<typeof ThreadDetail>> = (await api.get(`/threads/${threadId}/`)).json<
      Static<typeof ThreadDetail>
    >();
    delete detail.question_answers;
    t.same(labelled.data.thread, detail, 'thread.labelled carries the Thread as the API shows it');
    t.equal(labelled.data.thread.category_source, 'classifier');
    t.ok(labelled.data.thread.category, 'thread.labelled carries the category');
    t.throws(() => verified(newSecret(), hook.received[0]), 'another secret does not verify');

    // A user's label, then clearing it (which hands the thread back to the classifier): one event each.
    const other = (await api.get('/categories/'))
      .json<Results<Static<typeof Category>>>()
      .results.find((c) => c.id !== labelled.data.thread.category?.id);
    if (!other) throw new Error('a second category to label with');
    await api.patch(`/threads/${threadId}/`, { category_id: other.id });
    await api.patch(`/threads/${threadId}/`, { category_id: null });
    await api.chat('And on Windows?', threadId); // a follow-up changes no label: no event
    await drain(ctx);
    const relabelled = (await api.get(`/threads/${threadId}/`)).json<Static<typeof Thread>>().category;
    t.ok(relabelled, 'the classifier labelled it again');
    const later = hook.received
      .slice(2)
      .map((r) => verified(webhook.secret, r))
      .sort((x, y) => x.data.thread.updated_at.localeCompare(y.data.thread.updated_at));
    t.same(
      later.map((e) => [e.type, e.data.thread.category_source, e.data.thread.category?.id ?? null]),
      [
        ['thread.labelled', 'user', other.id],
        ['thread.labelled', null, null],
        ['thread.labelled', 'classifier', relabelled?.id],
      ],
    );

    const log = await deliveriesOf(api, webhook.id);
    t.equal(log.length, 5);
    for (const d of log)
      t.match(d, {
        event_id: /^msg_/,
        status: 'delivered',
        attempts: 1,
        response_status: 200,
        error: null,
        delivered_at: /Z$/,
      });
    t.same(log.map((d) => d.event_id).sort(), hook.received.map((r) => r.headers['webhook-id']).sort());
  },
);

t.test(
  'a failed attempt (an error status, no answer in time) is retried with the same id and body; the last one fails it',
  async (t) => {
    const { ctx, api } = await setup(t, { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_TIMEOUT_MS: '300' });
    const hook = await receiver(t, [500, 503, 200]);
    const webhook = (await api.post('/webhooks', { url: hook.url, events: ['thread.created'] })).json<
      Static<typeof CreatedWebhook>
    >();
    await api.chat('How do I back up the cache?');
    /** Runs the delivery job again now instead of after graphile-worker's backoff (graphile_worker.reschedule_jobs). */
    const retryNow = async (maxAttempts?: number) => {
      await ctx.db.execute(sql`
      select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs where task_identifier = 'webhooks__deliver'),
        run_at := now(), max_attempts := ${maxAttempts ?? null}::int)`);
      await drain(ctx);
    };
    const deliveries = () => deliveriesOf(api, webhook.id);

    type LogLine = { level: number; msg: string; reason?: string; err?: unknown };
    const lines: LogLine[] = [];
    await drain(ctx, {
      log: pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) }),
    });
    t.match(await deliveries(), [
      { status: 'pending', attempts: 1, response_status: 500, error: 'HTTP 500', delivered_at: null },
    ]);
    const failure = lines.find((l) => l.reason === 'HTTP 500');
    t.ok(
      failure && failure.level === 40 && failure.err === undefined,
      "the endpoint's failure is a warning without a stack",
    );
    await retryNow();
    t.match(await deliveries(), [{ status: 'pending', attempts: 2, response_status: 503, error: 'HTTP 503' }]);
    await retryNow();
    t.match(await deliveries(), [{ status: 'delivered', attempts: 3, response_status: 200, error: null }]);
    t.equal(hook.received.length, 3);
    t.equal(new Set(hook.received.map((r) => r.headers['webhook-id'])).size, 1, 'one id on every attempt');
    t.equal(new Set(hook.received.map((r) => r.body)).size, 1, 'one body on every attempt');
    for (const r of hook.received) verified(webhook.secret, r);

    // A receiver that does not answer within WEBHOOK_TIMEOUT_MS: a failed attempt with no status, retried.
    const slow = await receiver(t, [0, 200]);
    const hanging = (await api.post('/webhooks', { url: slow.url, events: ['thread.created'] })).json<
      Static<typeof CreatedWebhook>
    >();
    await api.chat('Does the CLI work offline?');
    await drain(ctx);
    t.match(await deliveriesOf(api, hanging.id), [
      { status: 'pending', attempts: 1, response_status: null, error: 'timed out after 300 ms' },
    ]);
    await retryNow();
    t.match(await deliveriesOf(api, hanging.id), [{ status: 'delivered', attempts: 2, response_status: 200 }]);

    // A receiver that never accepts: the job's last attempt marks the delivery failed, and nothing runs again.
    const down = await receiver(t, [500]);
    const failing = (await api.post('/webhooks', { url: down.url, events: ['thread.created'] })).json<
      Static<typeof CreatedWebhook>
    >();
    await api.chat('Is SSO on the free plan?');
    await drain(ctx);
    await retryNow(2);
    t.match(await deliveriesOf(api, failing.id), [
      { status: 'failed', attempts: 2, response_status: 500, error: 'HTTP 500' },
    ]);
    const left = await ctx.db.execute(
      sql`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'webhooks__deliver'`,
    );
    t.equal(left[0].n, 0, 'no job left');
  },
);

t.test('private addresses are refused at creation and at delivery unless WEBHOOK_ALLOW_PRIVATE', async (t) => {
  const { ctx, a, api } = await setup(t, {});
  for (const url of [
    'http://127.0.0.1:8080/hook',
    'http://localhost/hook', // a name that resolves to loopback
    'http://10.1.2.3/hook',
    'http://192.168.0.10/hook',
    'http://169.254.169.254/latest/meta-data',
    'http://0.0.0.0/hook',
    'http://[::1]/hook',
    'http://[::ffff:127.0.0.1]/hook',
    'http://[fe80::1]/hook',
    'ftp://93.184.216.34/hook',
    'not a url',
  ]) {
    const res = await api.post('/webhooks', { url, events: ['thread.created'] });
    t.equal(res.statusCode, 400, url);
    t.match(res.json(), { statusCode: 400, error: 'Bad Request' }, url);
  }
  t.equal(
    (await api.post('/webhooks', { url: 'https://93.184.216.34/hook', events: ['thread.created'] })).statusCode,
    201,
    'a public address',
  );

  // Checked again when delivering: an address that became private (here written straight to the database).
  const hook = await receiver(t);
  const row = await createWebhook(ctx.db, {
    projectId: a.projectId,
    url: hook.url,
    events: ['thread.created'],
    secret: newSecret(),
  });
  await api.chat('Where are the logs?');
  await drain(ctx);
  t.equal(hook.received.length, 0, 'nothing sent');
  t.match(await deliveriesOf(api, row.id), [
    { status: 'failed', attempts: 1, response_status: null, error: 'address refused: private network' },
  ]);
});

t.test("bad input is a 400; projects never see each other's webhooks or events; nothing after deletion", async (t) => {
  const { ctx, api } = await setup(t);
  const hook = await receiver(t);
  for (const body of [
    {},
    { url: hook.url },
    { url: hook.url, events: [] },
    { url: hook.url, events: ['thread.deleted'] },
    { url: hook.url, events: ['thread.created', 'thread.created'] },
    { url: hook.url, events: ['thread.created'], extra: 1 },
    { url: hook.url, events: ['thread.created'], description: 'x'.repeat(501) },
  ]) {
    t.equal((await api.post('/webhooks', body)).statusCode, 400, JSON.stringify(body).slice(0, 80));
  }
  const webhook = (await api.post('/webhooks', { url: hook.url, events: ['thread.created', 'thread.labelled'] })).json<
    Static<typeof CreatedWebhook>
  >();

  const b = await projectWithKey(ctx.db);
  const apiB = projectClient(ctx.app, b.projectId, b.key);
  t.same((await apiB.get('/webhooks')).json<Results<Static<typeof WebhookJson>>>().results, []);
  t.equal((await apiB.get(`/webhooks/${webhook.id}/deliveries`)).statusCode, 404);
  t.equal((await apiB.delete(`/webhooks/${webhook.id}`)).statusCode, 404);
  t.equal(
    (
      await ctx.app.inject({
        method: 'GET',
        url: `/query/v1/projects/${(await projectWithKey(ctx.db)).projectId}/webhooks`,
        headers: { 'x-api-key': b.key },
      })
    ).statusCode,
    403,
  );
  await apiB.chat('Project B asks');
  await drain(ctx);
  t.equal(hook.received.length, 0, "B's threads are not A's events");

  await api.chat('A asks, then the webhook goes');
  t.equal((await api.delete(`/webhooks/${webhook.id}`)).statusCode, 204);
  await drain(ctx);
  t.equal(hook.received.length, 0, 'nothing delivered after deletion');
  t.equal((await api.get(`/webhooks/${webhook.id}/deliveries`)).statusCode, 404);
  t.equal((await api.delete(`/webhooks/${webhook.id}`)).statusCode, 404);
});

t.test('a classifier batch of 500 labels adds its 500 deliveries in one add_jobs call', async (t) => {
  const { ctx, a, api } = await setup(t);
  const hook = await receiver(t);
  await api.post('/webhooks', { url: hook.url, events: ['thread.labelled'] });
  await ctx.db.execute(sql`
    insert into threads (project_id, first_question) select ${a.projectId}, 'q' || n from generate_series(1, 500) n`);
  const ids = await ctx.db.execute<{ id: string }>(sql`select id from threads where project_id = ${a.projectId}`);
  const [category] = (await api.get('/categories/')).json<Results<Static<typeof Category>>>().results;
  const calls = await ctx.db.transaction(async (tx) => {
    await tx.execute(sql`set local track_functions = 'pl'`);
    await saveClassifierLabels(tx, {
      projectId: a.projectId,
      labels: ids.map((r) => ({ threadId: r.id, categoryId: category.id })),
    });
    const [row] = await tx.execute(sql`select pg_stat_get_xact_function_calls('webhook_jobs'::regproc) as n`);
    return Number(row.n);
  });
  t.equal(calls, 1, 'one add_jobs call');
  const jobs = await ctx.db.execute(
    sql`select count(*)::int as n from graphile_worker.jobs where task_identifier = 'webhooks__deliver'`,
  );
  t.equal(jobs[0].n, 500, 'a job per delivery');
  await drain(ctx);
  t.equal(hook.received.length, 500);
});
