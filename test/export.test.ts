// Streaming export of threads as CSV (RFC 4180) and NDJSON, with the list's filters.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import type { Static } from '@sinclair/typebox';
import { seedThreads } from '../src/db/queries/seed.js';
import { build } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import type { Category } from '../src/schemas/categories.js';
import type { ExportThread, Thread, ThreadDetail, ThreadPage } from '../src/schemas/threads.js';

/** A line of the NDJSON export. */
const exported = (line: string) => JSON.parse(line) as Static<typeof ExportThread>;

const HEADER =
  'id,created_at,updated_at,first_question,total_questions,category_id,category_name,category_source,categorized_at';

async function setup(t: Test) {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  return { ctx, a, api };
}

t.test("CSV: a header row, CRLF, quoted as RFC 4180 says, empty fields for null, in the list's order", async (t) => {
  const { api } = await setup(t);
  const tricky = await api.chat('Say "hi", then\nbye; 100% sure?');
  const plain = await api.chat('How do I log in?');
  const categories = (await api.get('/categories/')).json<{ results: Static<typeof Category>[] }>().results;
  await api.patch(`/threads/${plain.thread_id}/`, { category_id: categories[0].id });

  const res = await api.get('/threads/export');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^text\/csv/);
  t.match(res.headers['content-disposition'], /attachment; filename="threads\.csv"/);
  t.ok(res.body.endsWith('\r\n'), 'ends with CRLF');
  const list = (await api.get('/threads/')).json<Static<typeof ThreadPage>>().results;
  const row = (th: Static<typeof Thread>, question: string) =>
    [
      th.id,
      th.created_at,
      th.updated_at,
      question,
      th.total_questions,
      th.category?.id ?? '',
      th.category?.name ?? '',
      th.category_source ?? '',
      th.categorized_at ?? '',
    ].join(',');
  t.equal(
    res.body,
    [HEADER, row(list[0], 'How do I log in?'), row(list[1], '"Say ""hi"", then\nbye; 100% sure?"'), ''].join('\r\n'),
    'newest first; the question with quotes, a comma and a newline quoted; nulls empty',
  );
  t.equal(list[0].id, plain.thread_id);
  t.equal(list[1].id, tricky.thread_id);
});

t.test('NDJSON: one thread per line with its question-answers, as the thread detail shows it', async (t) => {
  const { api } = await setup(t);
  const first = await api.chat('Where are the logs?');
  await api.chat('And on Windows?', first.thread_id);
  await api.chat('Another question');
  const res = await api.get('/threads/export?format=ndjson');
  t.equal(res.statusCode, 200);
  t.match(res.headers['content-type'], /^application\/x-ndjson/);
  const lines = res.body.trimEnd().split('\n').map(exported);
  t.equal(lines.length, 2);
  const detail = (await api.get(`/threads/${first.thread_id}/`)).json<Static<typeof ThreadDetail>>();
  // ...with each question-answer's reactions (none here): test/feedback.test.ts.
  const withReactions = {
    ...detail,
    question_answers: detail.question_answers.map((qa) => ({
      ...qa,
      feedback: { ...qa.feedback, results: [] },
    })),
  };
  t.same(lines[1], withReactions, 'the line is the thread detail');
  t.equal(lines[1].question_answers.length, 2);
});

t.test("every page of a large project, filters applied, never another project's threads", async (t) => {
  const { ctx, a, api } = await setup(t);
  await seedThreads(ctx.db, { projectId: a.projectId, count: 4500 });
  const b = await projectWithKey(ctx.db);
  await seedThreads(ctx.db, { projectId: b.projectId, count: 10 });

  const all = (await api.get('/threads/export')).body.split('\r\n').filter(Boolean);
  t.equal(all[0], HEADER);
  t.equal(all.length - 1, 4500, 'three pages of 2,000 or fewer, every thread once');
  const ids = all.slice(1).map((l) => l.slice(0, 36));
  t.equal(new Set(ids).size, 4500);
  const [mine] = await ctx.db.execute<{ n: number }>(
    sql`select count(*)::int as n from threads where project_id = ${a.projectId} and id = any(${`{${ids.join(',')}}`}::uuid[])`,
  );
  t.equal(mine.n, 4500, "all of them this project's");
  const created = all.slice(1).map((l) => l.split(',')[1]);
  t.same(created, [...created].sort().reverse(), 'newest first');

  const [window] = await ctx.db.execute<{ after: string; before: string; n: number }>(sql`
    select to_char(min(created_at) + interval '100 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as after,
           to_char(min(created_at) + interval '160 days', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as before,
           count(*) filter (where created_at >= min_at + interval '100 days' and created_at < min_at + interval '160 days')::int as n
    from (select created_at, min(created_at) over () as min_at from threads where project_id = ${a.projectId}) s`);
  const windowed = (
    await api.get(`/threads/export?format=ndjson&created_after=${window.after}&created_before=${window.before}`)
  ).body
    .trimEnd()
    .split('\n');
  t.equal(windowed.length, window.n, 'as many as the window holds');
  t.ok(
    windowed.every((l) => {
      const at = exported(l).created_at;
      return at >= window.after.replace('Z', '') && at < window.before.replace('Z', '.000Z');
    }),
    'only the window',
  );
  const labelled = (await api.get('/threads/export?category_source=user')).body.split('\r\n').filter(Boolean);
  t.same(labelled, [HEADER], 'no thread labelled by a user: the header alone');
});

t.test('bad input is a 400 with the error shape; no key, 401', async (t) => {
  const { ctx, a, api } = await setup(t);
  for (const q of ['format=xml', 'category_id=nope', 'limit=5', 'created_after=yesterday']) {
    const res = await api.get(`/threads/export?${q}`);
    t.equal(res.statusCode, 400, q);
    t.match(res.json(), { statusCode: 400, error: 'Bad Request' });
  }
  t.equal((await ctx.app.inject({ url: `/query/v1/projects/${a.projectId}/threads/export` })).statusCode, 401);
});
