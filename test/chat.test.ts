import t from 'tap';
import { StaticLlm, type Prompt } from '../src/models/llm.js';
import type { Static } from '@sinclair/typebox';
import { build } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import type { ThreadDetail, ThreadPage } from '../src/schemas/threads.js';

type Detail = Static<typeof ThreadDetail>;
type Threads = Static<typeof ThreadPage>;

/** The stand-in LLM, recording every prompt it is sent. */
class RecordingLlm extends StaticLlm {
  prompts: string[] = [];
  constructor() {
    super(0);
  }
  override complete(prompt: Prompt) {
    this.prompts.push(prompt.messages.map((m) => `${m.role}: ${m.content}`).join('\n'));
    return super.complete(prompt);
  }
}

t.test('a first question starts a thread; a follow-up continues it with the history in the prompt', async (t) => {
  const llm = new RecordingLlm();
  const { app, db } = await build(t, { llm });
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);

  const first = await api.chat('What are the system requirements?');
  t.equal(first.question, 'What are the system requirements?');
  t.type(first.answer, 'string');
  t.ok(first.answer.length > 0);
  t.match(first.thread_id, /^[0-9a-f-]{36}$/);
  t.match(first.question_answer_id, /^[0-9a-f-]{36}$/);
  t.match(llm.prompts[0], /excerpts: none/, 'a project without sources: the prompt says nothing relevant was found');
  t.match(
    llm.prompts[0],
    /^system: .*\nuser: What are the system requirements\?$/s,
    'the system message, then the question',
  );
  t.equal(llm.prompts[0].match(/^(user|assistant): /gm)?.length, 1, 'no history');

  const second = await api.chat('Does that include Windows?', first.thread_id);
  t.equal(second.thread_id, first.thread_id);
  t.not(second.question_answer_id, first.question_answer_id);
  t.match(
    llm.prompts[1],
    `user: What are the system requirements?\nassistant: ${first.answer}\nuser: Does that include Windows?`,
  );

  const third = await api.chat('And macOS?', first.thread_id);
  t.match(llm.prompts[2], `user: Does that include Windows?\nassistant: ${second.answer}`);

  const detail = (await api.get(`/threads/${first.thread_id}/`)).json<Detail>();
  t.equal(detail.total_questions, 3);
  t.equal(detail.first_question, 'What are the system requirements?');
  t.same(
    detail.question_answers.map((qa) => [qa.id, qa.question]),
    [
      [first.question_answer_id, first.question],
      [second.question_answer_id, second.question],
      [third.question_answer_id, third.question],
    ],
  );

  const list = (await api.get('/threads/')).json<Threads>();
  t.equal(list.results.length, 1, 'follow-ups do not create threads');
});

t.test('a follow-up into another project or an unknown thread is a 404 and writes nothing', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db, 'A');
  const b = await projectWithKey(db, 'B');
  const apiA = projectClient(app, a.projectId, a.key);
  const apiB = projectClient(app, b.projectId, b.key);
  const { thread_id } = await apiA.chat('How do I configure webhooks?');

  const foreign = await apiB.post('/chat', { question: 'sneaky follow-up', thread_id });
  t.equal(foreign.statusCode, 404);
  t.same(foreign.json(), { statusCode: 404, error: 'Not Found', message: 'thread not found', code: 'NOT_FOUND' });
  const unknown = await apiA.post('/chat', { question: 'hello', thread_id: '00000000-0000-4000-8000-000000000000' });
  t.equal(unknown.statusCode, 404);

  const detail = (await apiA.get(`/threads/${thread_id}/`)).json<Detail>();
  t.equal(detail.total_questions, 1);
  t.equal(detail.question_answers.length, 1);
  t.equal((await apiB.get('/threads/')).json<Threads>().results.length, 0);
});

t.test('chat input validation', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);
  const url = `/query/v1/projects/${a.projectId}/chat`;
  const headers = { 'x-api-key': a.key };

  const bad: [string, unknown][] = [
    ['missing question', {}],
    ['empty question', { question: '' }],
    ['whitespace-only question', { question: ' \n\t ' }],
    ['question over 10,000 characters', { question: 'x'.repeat(10_001) }],
    ['question not a string', { question: 42 }],
    ['thread_id not a UUID', { question: 'hi', thread_id: 'abc' }],
    ['unknown field', { question: 'hi', extra: true }],
    ['array body', ['hi']],
  ];
  for (const [name, body] of bad) {
    const res = await api.post('/chat', body);
    t.equal(res.statusCode, 400, name);
    t.match(res.json(), { statusCode: 400, error: 'Bad Request', message: String }, `${name}: error shape`);
  }

  const json = await app.inject({
    method: 'POST',
    url,
    headers: { ...headers, 'content-type': 'application/json' },
    payload: '{"question": ',
  });
  t.equal(json.statusCode, 400, 'malformed JSON');
  t.match(json.json(), { statusCode: 400, error: 'Bad Request' });
  t.notMatch(json.body, /at .*\.js/, 'no stack trace');

  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'application/xml']) {
    const res = await app.inject({
      method: 'POST',
      url,
      headers: { ...headers, 'content-type': type },
      payload: 'question=hi',
    });
    t.equal(res.statusCode, 415, type);
    t.match(res.json(), { statusCode: 415, error: 'Unsupported Media Type' });
  }

  t.equal((await api.post('/chat', { question: 'x'.repeat(10_000) })).statusCode, 200, '10,000 characters is allowed');
  t.equal((await api.post('/chat/', { question: 'trailing slash works too' })).statusCode, 200);
  t.equal((await api.get('/threads/')).json<Threads>().results.length, 2, 'rejected requests wrote nothing');
});
