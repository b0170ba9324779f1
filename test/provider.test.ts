import t, { type Test } from 'tap';
import type { Static } from '@sinclair/typebox';
import { sql } from 'drizzle-orm';
import { classifierModel } from '../src/models/index.js';
import { kickSweep } from '../src/jobs/specs.js';
import { seedThreads } from '../src/db/queries/seed.js';
import type { Category } from '../src/schemas/categories.js';
import type { ThreadDetail } from '../src/schemas/threads.js';
import { drain, build, rescheduleJobs, waitFor, withJobPool } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import { FAKE_USAGE, fakeProvider } from './fake-openai.js';
import { startService } from './processes.js';

const KEY = 'sk-test-never-logged-7f3a';

type Detail = Static<typeof ThreadDetail>;
interface Categories {
  results: Static<typeof Category>[];
}

/** Every job that failed runs at the next drain, not after its backoff. */
async function retryNow(url: string) {
  const failed = await withJobPool(url, (pgPool) =>
    pgPool.query<{ id: string }>('select id::text from graphile_worker.jobs where attempts > 0'),
  );
  await rescheduleJobs(
    url,
    failed.rows.map((j) => j.id),
    { runAt: new Date() },
  );
}

async function setup(t: Test, env: Record<string, string> = {}) {
  const fake = await fakeProvider(t);
  const ctx = await build(t, {
    env: {
      MODEL_PROVIDER: 'openai',
      OPENAI_BASE_URL: fake.baseURL,
      OPENAI_API_KEY: KEY,
      LLM_MODEL: 'fake-llm',
      CLASSIFIER_MODEL: 'fake-classifier',
      // Generous: a loaded machine must not turn a slow answer into a retry.
      MODEL_TIMEOUT_MS: '5000',
      ...env,
    },
  });
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const count = async (table: 'threads' | 'question_answers') =>
    (await ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`))[0].n;
  return { fake, ctx, a, api, count };
}

t.test('answers come from the provider as chat messages; usage is stored and shown on the thread', async (t) => {
  const { fake, api } = await setup(t);
  const first = await api.chat('How do I configure SSO?');
  t.equal(first.answer, 'Fake answer to: How do I configure SSO?');
  const second = await api.chat('And with SAML?', first.thread_id);
  t.equal(fake.requests.length, 2);
  const [one, two] = fake.requests;
  t.equal(one.authorization, `Bearer ${KEY}`);
  t.equal(one.body.model, 'fake-llm');
  t.same(
    one.body.messages.map((m) => m.role),
    ['system', 'user'],
  );
  t.match(one.body.messages[0].content, /documentation assistant/);
  t.same(two.body.messages.slice(1), [
    { role: 'user', content: 'How do I configure SSO?' },
    { role: 'assistant', content: first.answer },
    { role: 'user', content: 'And with SAML?' },
  ]);
  const detail = (await api.get(`/threads/${first.thread_id}/`)).json<Detail>();
  t.equal(detail.question_answers.length, 2);
  for (const qa of detail.question_answers) {
    t.match(qa.usage, {
      model: 'fake-llm-served',
      prompt_tokens: FAKE_USAGE.prompt_tokens,
      completion_tokens: FAKE_USAGE.completion_tokens,
    });
    const latency = qa.usage?.latency_ms;
    t.ok(Number.isInteger(latency) && latency! >= 0);
  }
  t.equal(detail.question_answers[1].id, second.question_answer_id);
});

t.test('429 with Retry-After and 500 are retried; the answer then succeeds', async (t) => {
  const { fake, api } = await setup(t);
  fake.next({ kind: 'status', status: 429, retryAfter: '1' }, { kind: 'status', status: 503 });
  const res = await api.chat('Does it run on Windows?');
  t.equal(res.answer, 'Fake answer to: Does it run on Windows?');
  t.equal(fake.requests.length, 3);
  t.ok(fake.requests[1].at - fake.requests[0].at >= 950, 'waited the Retry-After second');
});

t.test('a provider that keeps failing: 503 "model unavailable" after 3 retries, nothing stored', async (t) => {
  const { fake, api, count } = await setup(t);
  fake.next(...Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 500 })));
  const res = await api.post('/chat', { question: 'Why does my build fail?' });
  t.equal(res.statusCode, 503);
  t.match(res.json(), {
    statusCode: 503,
    error: 'Service Unavailable',
    message: 'model unavailable',
    code: 'MODEL_UNAVAILABLE',
  });
  t.equal(res.headers['retry-after'], '5');
  t.equal(fake.requests.length, 4, 'one call and three retries');
  t.equal(await count('threads'), 0);
  t.equal(await count('question_answers'), 0);
});

t.test(
  'a Retry-After beyond 10 s ends the retries at once; a hung provider times out; garbage is a failure',
  async (t) => {
    const { fake, api, count } = await setup(t, { MODEL_TIMEOUT_MS: '400' });
    fake.next({ kind: 'status', status: 429, retryAfter: '30' });
    t.equal((await api.post('/chat', { question: 'q1' })).statusCode, 503);
    t.equal(fake.requests.length, 1, 'no retry');

    fake.next(...Array.from({ length: 4 }, () => ({ kind: 'hang' as const })));
    const started = Date.now();
    t.equal((await api.post('/chat', { question: 'q2' })).statusCode, 503);
    t.ok(Date.now() - started >= 4 * 400, 'each attempt waited MODEL_TIMEOUT_MS');
    t.equal(fake.requests.length, 5);

    fake.next({ kind: 'garbage' });
    t.equal((await api.post('/chat', { question: 'q3' })).statusCode, 503);
    t.equal(await count('threads'), 0, 'nothing stored');
  },
);

t.test(
  "classification: a structured output naming one of the project's categories; an invalid reply is never stored",
  async (t) => {
    const { fake, ctx, api } = await setup(t);
    const categories = (await api.get('/categories/')).json<Categories>().results;
    const { thread_id } = await api.chat('My deployment crashes at start');
    const label = async () => (await api.get(`/threads/${thread_id}/`)).json<Detail>().category;

    // A category that is not the project's (and then not JSON): the job fails, the thread stays unlabelled.
    fake.next({ kind: 'content', content: JSON.stringify({ category_id: '00000000-0000-4000-8000-000000000000' }) });
    await drain(ctx, { classifier: classifierModel(ctx.config) });
    t.equal(await label(), null, 'no label from an invalid reply');
    const [job] = await ctx.db.execute<{ attempts: number; last_error: string }>(
      sql`select attempts, last_error from graphile_worker.jobs`,
    );
    t.equal(job.attempts, 1);
    t.match(job.last_error, /named no category of the project/);

    await retryNow(ctx.url);
    await drain(ctx, { classifier: classifierModel(ctx.config) });
    t.same((await label())?.id, categories[0].id, 'the valid reply labels the thread');

    const call = fake.requests.find((r) => r.body.response_format)!;
    t.equal(call.body.model, 'fake-classifier');
    t.match(call.body.response_format, { type: 'json_schema', json_schema: { name: 'category', strict: true } });
    t.same(
      [...call.body.response_format!.json_schema.schema.properties.category_id.enum].sort(),
      categories.map((c) => c.id).sort(),
    );
    t.match(call.body.messages.at(-1), { role: 'user', content: 'My deployment crashes at start' });
  },
);

t.test('the provider key never reaches a log line (API process, provider failing)', async (t) => {
  const fake = await fakeProvider(t);
  const db = await build(t);
  const a = await projectWithKey(db.db);
  fake.next(...Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 500 })));
  const api = await startService(t, 'src/server.ts', {
    DATABASE_URL: db.url,
    LOG_LEVEL: 'debug',
    MODEL_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseURL,
    OPENAI_API_KEY: KEY,
  });
  const res = await fetch(`${api.base}/query/v1/projects/${a.projectId}/chat`, {
    method: 'POST',
    headers: { 'x-api-key': a.key, 'content-type': 'application/json' },
    body: JSON.stringify({ question: 'Is my key safe?' }),
  });
  t.equal(res.status, 503);
  t.match(await res.json(), { code: 'MODEL_UNAVAILABLE' }, 'the provider failed, nothing else');
  await waitFor('the failure logged', () => /model unavailable/.test(api.output())).catch((err: Error) => {
    throw new Error(`${err.message}\n${api.output()}`);
  });
  t.match(api.output(), /model unavailable/, 'the failure is logged');
  t.notMatch(api.output(), KEY, 'without the key');
});

t.test('backfill batches: CLASSIFIER_BATCH_SIZE questions per call, each label validated on its own', async (t) => {
  const { fake, ctx, a, api } = await setup(t, { CLASSIFIER_BATCH_SIZE: '20', CLASSIFY_BATCH_SIZE: '50' });
  const [first] = (await api.get('/categories/')).json<Categories>().results;
  await seedThreads(ctx.db, { projectId: a.projectId, count: 50 });
  // The first call's reply: question 1 gets a category of no project, question 2 none at all, 3-20 the first category.
  fake.next({
    kind: 'content',
    content: JSON.stringify({
      labels: [
        { n: 1, category_id: '00000000-0000-4000-8000-000000000000' },
        ...Array.from({ length: 18 }, (_, i) => ({ n: i + 3, category_id: first.id })),
      ],
    }),
  });
  await kickSweep(ctx.db);
  await drain(ctx, { classifier: classifierModel(ctx.config) });
  const calls = fake.requests.filter((r) => r.body.response_format);
  t.equal(calls.length, 3, '50 threads in calls of 20, 20 and 10');
  t.match(calls[0].body.response_format, {
    json_schema: { name: 'labels', strict: true, schema: { properties: { labels: { minItems: 20, maxItems: 20 } } } },
  });
  t.match(calls[2].body.messages.at(-1)!.content, /^1\. .*\n(.*\n){8}10\. /, 'the questions numbered from 1');
  const unlabelled = async () =>
    (await ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from threads where category_id is null`))[0].n;
  t.equal(await unlabelled(), 2, 'the two invalid labels stored nothing; the other 48 are stored');

  // The batch job failed for those two: run again, they are labelled.
  await retryNow(ctx.url);
  await drain(ctx, { classifier: classifierModel(ctx.config) });
  t.equal(await unlabelled(), 0);
  t.equal(fake.requests.filter((r) => r.body.response_format).length, 4, 'one more call, for the two');
});
