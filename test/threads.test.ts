import t from 'tap';
import { sql } from 'drizzle-orm';
import type { Static } from '@sinclair/typebox';
import { build, type ApiError } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import type { ThreadDetail, ThreadPage } from '../src/schemas/threads.js';

type Threads = Static<typeof ThreadPage>;
type Thread = Threads['results'][number];

t.test('walking `next` from the first page visits every thread exactly once, newest first', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db, 'A');
  const b = await projectWithKey(db, 'B');
  const api = projectClient(app, a.projectId, a.key);
  for (let i = 0; i < 45; i++) await api.chat(`question ${i}`);
  await projectClient(app, b.projectId, b.key).chat('other project');
  // Some threads share one created_at to the microsecond: the id must break the tie.
  await db.execute(
    sql`update threads set created_at = '2026-01-01T00:00:00.123456Z' where first_question in ('question 3', 'question 4', 'question 5')`,
  );

  const seen: Thread[] = [];
  let url = '/threads/?limit=20';
  let pages = 0;
  for (;;) {
    const res = await api.get(url);
    t.equal(res.statusCode, 200);
    const page = res.json<Threads>();
    seen.push(...page.results);
    pages++;
    if (!page.next) break;
    url = `/threads/?limit=20&cursor=${encodeURIComponent(page.next)}`;
  }
  t.equal(pages, 3);
  t.equal(seen.length, 45);
  t.equal(new Set(seen.map((s) => s.id)).size, 45, 'no thread twice');
  t.ok(
    seen.every((s) => s.project === a.projectId),
    'only the project of the key',
  );
  const sorted = [...seen].sort((x, y) => y.created_at.localeCompare(x.created_at) || y.id.localeCompare(x.id));
  t.same(
    seen.map((s) => s.id),
    sorted.map((s) => s.id),
    'newest first',
  );
  t.equal(seen[0].first_question, 'question 44');
  t.match(seen[0], { total_questions: 1, created_at: /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/ });
});

t.test('default page size is 20; limit, cursor and dates are validated', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);
  for (let i = 0; i < 22; i++) await api.chat(`q${i}`);
  const first = (await api.get('/threads')).json<Threads>();
  t.equal(first.results.length, 20);
  t.type(first.next, 'string');
  t.equal((await api.get('/threads/?limit=100')).json<Threads>().next, null);

  for (const q of [
    'limit=0',
    'limit=101',
    'limit=abc',
    'limit=1.5',
    'cursor=garbage',
    `cursor=${Buffer.from('2026-13-45 99:00:00+00|x').toString('base64url')}`,
    `cursor=${Buffer.from('2026-02-30 10:00:00+00|00000000-0000-4000-8000-000000000000').toString('base64url')}`,
    'created_after=yesterday',
    'created_before=2026-01-01T00:00:00',
    'unknown=1',
  ]) {
    const res = await api.get(`/threads/?${q}`);
    t.equal(res.statusCode, 400, q);
    t.match(res.json(), { statusCode: 400, error: 'Bad Request', message: String });
  }
});

t.test('created_after and created_before filter, also across pages', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);
  for (let i = 0; i < 10; i++) await api.chat(`day ${i}`);
  // Spread the threads over ten days: "day i" on 2026-03-(10+i).
  await db.execute(
    sql`update threads set created_at = ('2026-03-10T12:00:00Z'::timestamptz + (substring(first_question from 5)::int * interval '1 day'))`,
  );

  const within = async (query: string) => {
    const out: string[] = [];
    let url = `/threads/?limit=2&${query}`;
    for (;;) {
      const page: Threads = (await api.get(url)).json<Threads>();
      out.push(...page.results.map((r) => r.first_question));
      if (!page.next) return out;
      url = `/threads/?limit=2&${query}&cursor=${page.next}`;
    }
  };
  t.same(await within('created_after=2026-03-15T00:00:00Z'), ['day 9', 'day 8', 'day 7', 'day 6', 'day 5']);
  t.same(await within('created_before=2026-03-12T12:00:00Z'), ['day 1', 'day 0'], 'before is exclusive');
  t.same(
    await within('created_after=2026-03-12T12:00:00Z&created_before=2026-03-14T12:00:01%2B00:00'),
    ['day 4', 'day 3', 'day 2'],
    'after is inclusive',
  );
});

t.test('thread detail: question-answers in order; another project sees 404', async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db, 'A');
  const b = await projectWithKey(db, 'B');
  const api = projectClient(app, a.projectId, a.key);
  const first = await api.chat('one');
  await api.chat('two', first.thread_id);
  const res = await api.get(`/threads/${first.thread_id}`);
  t.equal(res.statusCode, 200);
  const detail = res.json<Static<typeof ThreadDetail>>();
  t.match(detail, { id: first.thread_id, project: a.projectId, first_question: 'one', total_questions: 2 });
  t.same(
    detail.question_answers.map((qa) => qa.question),
    ['one', 'two'],
  );
  t.match(detail.question_answers[0], { id: first.question_answer_id, answer: first.answer, created_at: String });

  const foreign = await projectClient(app, b.projectId, b.key).get(`/threads/${first.thread_id}/`);
  t.equal(foreign.statusCode, 404);
  t.equal(foreign.json<ApiError>().message, 'thread not found');
  t.equal((await api.get('/threads/not-a-uuid/')).statusCode, 400);
  t.equal((await api.get('/threads/00000000-0000-4000-8000-000000000000/')).statusCode, 404);
});
