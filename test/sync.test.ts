// Feedback on answers, updated_at moved by every change, and incremental sync with updated_since.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import postgres from 'postgres';
import type { Static } from '@sinclair/typebox';
import type { Db } from '../src/db/client.js';
import { build, drain, waitFor } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import type { Category } from '../src/schemas/categories.js';
import type { ThreadDetail, ThreadPage } from '../src/schemas/threads.js';

type Threads = Static<typeof ThreadPage>;
type Thread = Threads['results'][number];
type FeedbackCounts = { question_answer_id: string; upvotes: number; downvotes: number };

/**
 * Returns once the database clock is in a later millisecond (the API's timestamps are to the millisecond),
 * so that a change made next is stamped later than any made before.
 */
async function clockMoved(db: Db) {
  const [{ at }] = await db.execute<{ at: string }>(
    sql`select date_trunc('milliseconds', clock_timestamp())::text as at`,
  );
  await waitFor('the database clock to move on', async () => {
    const [{ moved }] = await db.execute<{ moved: boolean }>(
      sql`select date_trunc('milliseconds', clock_timestamp()) > ${at}::timestamptz as moved`,
    );
    return moved;
  });
}

async function setup(t: Test) {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const detail = async (id: string) => (await api.get(`/threads/${id}/`)).json<Static<typeof ThreadDetail>>();
  const feedback = (qaId: string, body: object) => api.post(`/question-answers/${qaId}/feedback`, body);
  return { ctx, a, api, detail, feedback };
}

t.test(
  'feedback: identified users replace their reaction, anonymous ones each count; shown on the thread',
  async (t) => {
    const { ctx, api, detail, feedback } = await setup(t);
    const first = await api.chat('How do I install it?');
    const second = await api.chat('And on Windows?', first.thread_id);
    const qa = first.question_answer_id;

    const counts = async (body: object) => {
      const res = await feedback(qa, body);
      t.equal(res.statusCode, 200, JSON.stringify(body));
      return res.json<FeedbackCounts>();
    };
    t.same(await counts({ reaction: 'upvote' }), { question_answer_id: qa, upvotes: 1, downvotes: 0 });
    t.same(
      await counts({ reaction: 'upvote', comment: 'helpful' }),
      { question_answer_id: qa, upvotes: 2, downvotes: 0 },
      'each anonymous one counts',
    );
    t.same(await counts({ reaction: 'upvote', user_identifier: 'u1' }), {
      question_answer_id: qa,
      upvotes: 3,
      downvotes: 0,
    });
    const before = (await detail(first.thread_id)).updated_at;
    await clockMoved(ctx.db);
    t.same(
      await counts({ reaction: 'upvote', user_identifier: 'u1' }),
      { question_answer_id: qa, upvotes: 3, downvotes: 0 },
      'the same again changes nothing',
    );
    t.equal((await detail(first.thread_id)).updated_at, before, 'not even updated_at');
    t.same(
      await counts({ reaction: 'downvote', user_identifier: 'u1', comment: 'wrong command' }),
      { question_answer_id: qa, upvotes: 2, downvotes: 1 },
      "u1's reaction replaced",
    );
    t.same(await counts({ reaction: 'downvote', user_identifier: 'u2' }), {
      question_answer_id: qa,
      upvotes: 2,
      downvotes: 2,
    });
    t.ok((await detail(first.thread_id)).updated_at > before, 'feedback moves updated_at');

    const shown = (await detail(first.thread_id)).question_answers;
    t.same(
      shown.map((q) => [q.id, q.feedback]),
      [
        [qa, { upvotes: 2, downvotes: 2 }],
        [second.question_answer_id, { upvotes: 0, downvotes: 0 }],
      ],
    );
    const [stored] = await ctx.db.execute<{ n: number }>(
      sql`select count(*)::int as n from feedback where user_identifier = 'u1' and reaction = 'downvote' and comment = 'wrong command'`,
    );
    t.equal(stored.n, 1, "u1's one row holds the latest reaction and comment");
  },
);

t.test("feedback: bad input is a 400, another project's or an unknown answer a 404, nothing written", async (t) => {
  const { ctx, api, feedback } = await setup(t);
  const { question_answer_id: qa } = await api.chat('Where are the logs?');
  for (const body of [
    {},
    { reaction: 'meh' },
    { reaction: 'upvote', comment: 'x'.repeat(2001) },
    { reaction: 'upvote', user_identifier: '  ' },
    { reaction: 'upvote', extra: 1 },
  ]) {
    const res = await feedback(qa, body);
    t.equal(res.statusCode, 400, JSON.stringify(body).slice(0, 60));
    t.match(res.json(), { statusCode: 400, error: 'Bad Request', code: 'VALIDATION_FAILED' });
  }
  t.equal((await feedback('not-a-uuid', { reaction: 'upvote' })).statusCode, 400);
  const unknown = await feedback('00000000-0000-4000-8000-000000000000', { reaction: 'upvote' });
  t.equal(unknown.statusCode, 404);
  t.match(unknown.json(), { statusCode: 404, message: 'question-answer not found' });

  const b = await projectWithKey(ctx.db);
  const other = projectClient(ctx.app, b.projectId, b.key);
  t.equal(
    (await other.post(`/question-answers/${qa}/feedback`, { reaction: 'downvote' })).statusCode,
    404,
    "another project's answer",
  );
  const noKey = await ctx.app.inject({
    method: 'POST',
    url: `/query/v1/projects/${b.projectId}/question-answers/${qa}/feedback`,
    payload: { reaction: 'upvote' },
  });
  t.equal(noKey.statusCode, 401);
  const [n] = await ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from feedback`);
  t.equal(n.n, 0);
});

t.test(
  'updated_at: a new thread, a follow-up, labels by the classifier and by users, a deleted category',
  async (t) => {
    const { ctx, api, detail } = await setup(t);
    const { thread_id: id } = await api.chat('How do I reset my password?');
    let last = await detail(id);
    t.equal(last.updated_at, last.created_at, 'a new thread: changed when created');
    const moved = async (what: string, change: () => Promise<unknown>) => {
      await clockMoved(ctx.db);
      await change();
      const now = await detail(id);
      t.ok(now.updated_at > last.updated_at, `${what} moves updated_at`);
      last = now;
    };
    await moved('a follow-up', () => api.chat('And my username?', id));
    await moved("the classifier's label", () => drain(ctx));
    t.equal(last.category_source, 'classifier');
    const categories = (await api.get('/categories/')).json<{ results: Static<typeof Category>[] }>().results;
    const other = categories.find((c) => c.id !== last.category?.id)!;
    await moved("a user's label", () => api.patch(`/threads/${id}/`, { category_id: other.id }));
    await moved('a user clearing the label', () => api.patch(`/threads/${id}/`, { category_id: null }));
    await moved('the classifier again', () => drain(ctx));
    const labelled = last.category?.id;
    t.ok(labelled, 'labelled by the classifier again');
    await moved('deleting its category', () => api.delete(`/categories/${labelled}/`));
    t.equal(last.category, null);
    // Reading changes nothing.
    await clockMoved(ctx.db);
    t.equal((await detail(id)).updated_at, last.updated_at);
    t.equal(
      (await api.get('/threads/')).json<Threads>().results[0].updated_at,
      last.updated_at,
      'the list shows it too',
    );
  },
);

t.test(
  'updated_since: oldest change first, paged, combined with filters; a cursor of the other order is a 400',
  async (t) => {
    const { ctx, api } = await setup(t);
    const start = new Date(Date.now() - 1000).toISOString();
    const ids: string[] = [];
    for (const q of ['one', 'two', 'three']) {
      ids.push((await api.chat(`Question ${q}?`)).thread_id);
      await clockMoved(ctx.db);
    }
    await api.chat('A follow-up to one', ids[0]); // one is now the most recent change

    const pages: Thread[][] = [];
    let cursor: string | null = '';
    while (cursor !== null) {
      const res = await api.get(
        `/threads/?updated_since=${encodeURIComponent(start)}&limit=2${cursor ? `&cursor=${cursor}` : ''}`,
      );
      t.equal(res.statusCode, 200);
      const page = res.json<Threads>();
      pages.push(page.results);
      cursor = page.next;
    }
    t.same(
      pages.map((p) => p.map((r) => ids.indexOf(r.id))),
      [[1, 2], [0]],
      'two, three, then one (changed last)',
    );

    const later = pages[0][1].updated_at;
    t.same(
      (await api.get(`/threads/?updated_since=${encodeURIComponent(later)}`)).json<Threads>().results.map((r) => r.id),
      [ids[2], ids[0]],
      'inclusive bound: the boundary thread again, then the later ones',
    );
    t.same(
      (
        await api.get(`/threads/?updated_since=${encodeURIComponent(start)}&created_after=${encodeURIComponent(later)}`)
      ).json<Threads>().results.length,
      1,
      'combined with created_after',
    );
    t.same(
      (await api.get(`/threads/?updated_since=${encodeURIComponent(start)}&category_id=none`)).json<Threads>().results
        .length,
      3,
      'with category_id=none',
    );

    const createdOrder = (await api.get('/threads/?limit=1')).json<Threads>().next;
    t.ok(createdOrder, 'a cursor of the created order');
    const mixed = await api.get(`/threads/?updated_since=${encodeURIComponent(start)}&cursor=${createdOrder}`);
    t.equal(mixed.statusCode, 400);
    t.match(mixed.json(), { code: 'INVALID_CURSOR' });
    t.equal((await api.get('/threads/?updated_since=yesterday')).statusCode, 400);
  },
);

t.test('a client syncing from its largest updated_at never misses a change, even one committed late', async (t) => {
  const { ctx, api, a } = await setup(t);
  const ids: string[] = [];
  for (let i = 0; i < 6; i++) ids.push((await api.chat(`Thread ${i}?`)).thread_id);

  // The client: pages from the largest updated_at it has seen, and keeps the latest version of each thread.
  const seen = new Map<string, string>();
  let mark = new Date(0).toISOString();
  const poll = async () => {
    let cursor: string | null = '';
    while (cursor !== null) {
      // The cursor carries the filters: the next pages are asked with it alone, while `mark` moves on.
      const url = cursor
        ? `/threads/?limit=2&cursor=${cursor}`
        : `/threads/?updated_since=${encodeURIComponent(mark)}&limit=2`;
      const page: Threads = (await api.get(url)).json<Threads>();
      for (const r of page.results) {
        seen.set(r.id, r.updated_at);
        if (r.updated_at > mark) mark = r.updated_at;
      }
      cursor = page.next;
    }
  };

  // A writer whose transaction began before the others' changes and commits after the client has polled:
  // its updated_at (the transaction's start) is older than changes the client has already seen.
  const url = new URL(ctx.url);
  const writer = postgres(url.toString(), { max: 1, onnotice: () => {} });
  t.teardown(() => writer.end());
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let began!: () => void;
  const started = new Promise<void>((r) => (began = r));
  const late = writer.begin(async (tx) => {
    await tx`select now()`;
    began();
    await held;
    await tx`update threads set total_questions = total_questions, updated_at = now() where id = ${ids[0]} and project_id = ${a.projectId}`;
  });
  await started;
  await clockMoved(ctx.db);

  // Changes interleaved with the client's pages: follow-ups, labels, feedback.
  await api.chat('A follow-up to 1', ids[1]);
  await poll();
  await drain(ctx);
  const qa = (await api.get(`/threads/${ids[2]}/`)).json<Static<typeof ThreadDetail>>().question_answers[0].id;
  await api.post(`/question-answers/${qa}/feedback`, { reaction: 'upvote' });
  await poll();
  t.ok(mark < new Date().toISOString(), 'the client has a mark');
  release();
  await late;
  await api.chat('A follow-up to 3', ids[3]);
  await poll();
  await poll();

  // Every thread as the client last saw it is the thread as it is now.
  const now = new Map<string, string>();
  for (const id of ids) now.set(id, (await api.get(`/threads/${id}/`)).json<Thread>().updated_at);
  for (const id of ids)
    t.equal(seen.get(id), now.get(id), `thread ${ids.indexOf(id)}: the client has its latest change`);
});
