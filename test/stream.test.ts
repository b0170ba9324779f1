// Streaming: POST .../chat/stream answers with server-sent events, from the stand-in and from an
// OpenAI-compatible provider (the fake in this process, streaming for real over HTTP).
import { setTimeout as sleep } from 'node:timers/promises';
import t, { type Test } from 'tap';
import type { Static } from '@sinclair/typebox';
import { sql } from 'drizzle-orm';
import { CLASSIFY_TASK } from '../src/jobs/specs.js';
import type { ThreadDetail } from '../src/schemas/threads.js';
import { build, waitFor } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import { FAKE_USAGE, fakeProvider } from './fake-openai.js';

/** What the events carry: a delta its text, done the stored question-answer (an error event the error shape). */
interface EventData {
  text: string;
  question: string;
  answer: string;
  thread_id: string;
  question_answer_id: string;
}
type Event = { event: string; data: EventData };
type Detail = Static<typeof ThreadDetail>;

/** The events of a text/event-stream body, in order. */
function parse(body: string): Event[] {
  return body
    .split('\n\n')
    .filter((block) => block.trim())
    .map((block) => {
      const event = /^event: (.*)$/m.exec(block)?.[1] ?? 'message';
      const data = /^data: (.*)$/m.exec(block)?.[1];
      return { event, data: (data === undefined ? undefined : JSON.parse(data)) as EventData };
    });
}

async function setup(t: Test, env: Record<string, string> = {}) {
  const ctx = await build(t, { env });
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const stream = (body: object) => api.post('/chat/stream', body);
  const count = async (table: 'threads' | 'question_answers') =>
    (await ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from ${sql.identifier(table)}`))[0].n;
  return { ctx, a, api, stream, count };
}

const openAi = (baseURL: string) => ({
  MODEL_PROVIDER: 'openai',
  OPENAI_BASE_URL: baseURL,
  LLM_MODEL: 'fake-llm',
  MODEL_TIMEOUT_MS: '400',
});

t.test('the stand-in streams its answer in pieces, then done once the thread and its job are stored', async (t) => {
  const { ctx, api, stream } = await setup(t);
  const res = await stream({ question: 'What are the system requirements?' });
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/event-stream/);
  t.equal(res.headers['cache-control'], 'no-cache');
  t.ok(res.headers['x-request-id'], 'the request id, as on every answer');
  const events = parse(res.body);
  const deltas = events.filter((e) => e.event === 'delta');
  t.ok(deltas.length >= 2, `the answer in ${deltas.length} pieces`);
  t.same(events.at(-1)!.event, 'done', 'done comes last');
  t.equal(events.filter((e) => e.event === 'done').length, 1);
  const done = events.at(-1)!.data;
  t.equal(done.question, 'What are the system requirements?');
  t.equal(deltas.map((e) => e.data.text).join(''), done.answer, 'the pieces make the answer');

  // The same answer /chat gives for the same prompt.
  t.equal((await api.chat('What are the system requirements?')).answer, done.answer);
  const detail = (await api.get(`/threads/${done.thread_id}/`)).json<Detail>();
  t.same(
    detail.question_answers.map((qa) => [
      qa.id,
      qa.answer,
      qa.usage?.model,
      qa.usage?.prompt_tokens,
      qa.usage?.completion_tokens,
    ]),
    [[done.question_answer_id, done.answer, 'stand-in', 0, 0]],
  );
  const [job] = await ctx.db.execute<{ n: number }>(
    sql`select count(*)::int as n from graphile_worker.jobs where task_identifier = ${CLASSIFY_TASK} and key = ${`${CLASSIFY_TASK}:${done.thread_id}`}`,
  );
  t.equal(job.n, 1, 'the new thread has its classification job');

  // A follow-up streams too, into the same thread.
  const followUp = parse((await stream({ question: 'And on Windows?', thread_id: done.thread_id })).body).at(-1)!;
  t.equal(followUp.event, 'done');
  t.equal(followUp.data.thread_id, done.thread_id);
  t.equal((await api.get(`/threads/${done.thread_id}/`)).json<Detail>().question_answers.length, 2);
});

t.test('errors found before the model answers are JSON, as on /chat', async (t) => {
  const { ctx, a, stream, count } = await setup(t);
  const unknown = await stream({ question: 'Hello?', thread_id: '00000000-0000-4000-8000-000000000000' });
  t.equal(unknown.statusCode, 404);
  t.match(unknown.json(), { statusCode: 404, error: 'Not Found', message: 'thread not found' });
  t.match(unknown.headers['content-type'], /^application\/json/);

  const blank = await stream({ question: '   ' });
  t.equal(blank.statusCode, 400);
  t.match(blank.json(), { statusCode: 400, code: 'VALIDATION_FAILED' });

  const noKey = await ctx.app.inject({
    method: 'POST',
    url: `/query/v1/projects/${a.projectId}/chat/stream`,
    payload: { question: 'Hi' },
  });
  t.equal(noKey.statusCode, 401);
  t.match(noKey.json(), { statusCode: 401, code: 'UNAUTHORIZED' });

  // Another project's thread is unknown here.
  const b = await projectWithKey(ctx.db);
  const theirs = parse(
    (await projectClient(ctx.app, b.projectId, b.key).post('/chat/stream', { question: 'Mine' })).body,
  ).at(-1)!.data;
  t.equal((await stream({ question: 'Yours?', thread_id: theirs.thread_id })).statusCode, 404);
  t.equal(await count('question_answers'), 1, 'only the other project stored its answer');
});

t.test('a provider streams the answer: deltas as they come, usage asked for and stored', async (t) => {
  const fake = await fakeProvider(t);
  const { api, stream } = await setup(t, openAi(fake.baseURL));
  const res = await stream({ question: 'How do I rotate my keys?' });
  t.equal(res.statusCode, 200);
  const events = parse(res.body);
  t.same(
    events.filter((e) => e.event === 'delta').map((e) => e.data.text),
    ['Fake ', 'answer ', 'to: ', 'How ', 'do ', 'I ', 'rotate ', 'my ', 'keys?'],
    'one delta per piece the provider sent',
  );
  const done = events.at(-1)!;
  t.equal(done.event, 'done');
  t.equal(done.data.answer, 'Fake answer to: How do I rotate my keys?');
  t.match(fake.requests[0].body, { model: 'fake-llm', stream: true, stream_options: { include_usage: true } });
  const [qa] = (await api.get(`/threads/${done.data.thread_id}/`)).json<Detail>().question_answers;
  t.match(qa.usage, {
    model: 'fake-llm-served',
    prompt_tokens: FAKE_USAGE.prompt_tokens,
    completion_tokens: FAKE_USAGE.completion_tokens,
  });
  t.ok(qa.usage!.latency_ms >= 0);
});

t.test('failures before the first piece are retried, then a JSON 503 with no stream; nothing stored', async (t) => {
  const fake = await fakeProvider(t);
  const { stream, count } = await setup(t, openAi(fake.baseURL));
  fake.next({ kind: 'status', status: 429, retryAfter: '0' }, { kind: 'hang' });
  const retried = await stream({ question: 'Is the first one retried?' });
  t.equal(retried.statusCode, 200);
  t.equal(parse(retried.body).at(-1)!.event, 'done', 'after a 429 and a timeout, the third attempt streams');
  t.equal(fake.requests.length, 3);

  fake.next(...Array.from({ length: 4 }, () => ({ kind: 'status' as const, status: 500 })));
  const failed = await stream({ question: 'Anyone?' });
  t.equal(failed.statusCode, 503);
  t.match(failed.headers['content-type'], /^application\/json/);
  t.equal(failed.headers['retry-after'], '5');
  t.match(failed.json(), {
    statusCode: 503,
    error: 'Service Unavailable',
    message: 'model unavailable',
    code: 'MODEL_UNAVAILABLE',
  });
  t.equal(fake.requests.length, 7, 'one call and three retries');
  t.equal(await count('question_answers'), 1, 'only the first answer is stored');
});

t.test(
  'a stream that stalls after its first pieces: an error event after MODEL_TIMEOUT_MS, nothing stored, the call aborted',
  async (t) => {
    const fake = await fakeProvider(t);
    const { stream, count } = await setup(t, openAi(fake.baseURL));
    fake.next({ kind: 'stall', after: 2 });
    const started = Date.now();
    const res = await stream({ question: 'Will this one finish?' });
    t.equal(res.statusCode, 200);
    const events = parse(res.body);
    t.same(
      events.map((e) => e.event),
      ['delta', 'delta', 'error'],
    );
    t.same(events[2].data, {
      statusCode: 503,
      error: 'Service Unavailable',
      message: 'model unavailable',
      code: 'MODEL_UNAVAILABLE',
    });
    t.ok(Date.now() - started >= 400, 'it waited MODEL_TIMEOUT_MS for the next piece');
    t.equal(fake.requests.length, 1, 'never retried once pieces were sent');
    await waitFor('the provider call aborted', () => fake.requests[0].abandoned);
    t.equal(fake.requests[0].abandoned, true, 'the provider call was aborted');
    t.equal(await count('threads'), 0);
    t.equal(await count('question_answers'), 0);
  },
);

t.test('a client that disconnects mid-answer aborts the model call; nothing is stored', async (t) => {
  const fake = await fakeProvider(t, { pieceDelayMs: 100 });
  const { ctx, a, count } = await setup(t, { ...openAi(fake.baseURL), MODEL_TIMEOUT_MS: '5000' });
  await ctx.app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = ctx.app.server.address() as { port: number };
  const client = new AbortController();
  const res = await fetch(`http://127.0.0.1:${port}/query/v1/projects/${a.projectId}/chat/stream`, {
    method: 'POST',
    headers: { 'x-api-key': a.key, 'content-type': 'application/json' },
    body: JSON.stringify({ question: 'A long question that takes a while to answer, word after word after word' }),
    signal: client.signal,
  });
  t.equal(res.status, 200);
  const reader = res.body!.getReader();
  const first = new TextDecoder().decode((await reader.read()).value);
  t.match(first, /^event: delta\ndata: \{"text":"Fake "\}/, 'the first piece arrived');
  client.abort();

  // The provider would take 1.5 s more for its 15 remaining pieces; its call is closed before its end.
  await waitFor('the provider call aborted', () => fake.requests[0].abandoned);
  t.equal(fake.requests[0].abandoned, true, 'the provider call was aborted');
  // The time the whole answer would have taken: nothing may be stored after it either.
  await sleep(1700);
  t.equal(await count('threads'), 0, 'nothing stored, even after the answer would have ended');
  t.equal(await count('question_answers'), 0);
  // fetch's pool opened a spare connection when the request was aborted; it never sends a request, and
  // the server's close would wait for Node's headers timeout (a minute) for it.
  ctx.app.server.closeAllConnections();
});
