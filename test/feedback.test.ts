// Feedback is readable, not only counted: each answer's reactions with their comments, newest first, cursor
// paging; the NDJSON export carries them.
import type { Static } from '@sinclair/typebox';
import t, { type Test } from 'tap';
import type { ExportThread, Feedback, ThreadDetail } from '../src/schemas/threads.js';
import { build } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';

type Reaction = Static<typeof Feedback>;
type FeedbackPage = { results: Reaction[]; next: string | null };

async function setup(t: Test) {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const react = async (qaId: string, body: object) => {
    const res = await api.post(`/question-answers/${qaId}/feedback`, body);
    if (res.statusCode !== 200) throw new Error(`feedback failed: ${res.statusCode} ${res.body}`);
  };
  return { ctx, a, api, react };
}

t.test(
  'the reactions to an answer, newest first, with comments and users; a replaced one is updated in place',
  async (t) => {
    const { api, react } = await setup(t);
    const { question_answer_id: qa } = await api.chat('How do I install the CLI?');
    const { question_answer_id: untouched } = await api.chat('Something else');
    await react(qa, { reaction: 'upvote', comment: 'clear', user_identifier: 'u1' });
    await react(qa, { reaction: 'downvote' });
    await react(qa, { reaction: 'downvote', comment: 'wrong command', user_identifier: 'u2' });
    await react(qa, { reaction: 'downvote', comment: 'actually no', user_identifier: 'u1' }); // replaces u1's upvote

    const res = await api.get(`/question-answers/${qa}/feedback`);
    t.equal(res.statusCode, 200);
    const { results, next } = res.json<FeedbackPage>();
    t.equal(next, null);
    t.same(
      results.map((r) => [r.reaction, r.comment, r.user_identifier]),
      [
        ['downvote', 'wrong command', 'u2'],
        ['downvote', null, null],
        ['downvote', 'actually no', 'u1'],
      ],
      'newest first by when each was first given; u1 replaced, not added',
    );
    const u1 = results[2];
    t.ok(u1.updated_at > u1.created_at, "u1's reaction was changed after it was given");
    t.equal(results[0].updated_at, results[0].created_at, 'the others never changed');
    t.same((await api.get(`/question-answers/${untouched}/feedback`)).json(), { results: [], next: null });
  },
);

t.test(
  'paging: limit, and the cursor alone continues the same list; a cursor of another answer is a 400',
  async (t) => {
    const { api, react } = await setup(t);
    const { question_answer_id: qa } = await api.chat('How do I configure proxies?');
    for (let i = 1; i <= 5; i++) await react(qa, { reaction: i % 2 ? 'upvote' : 'downvote', comment: `c${i}` });
    const all = (await api.get(`/question-answers/${qa}/feedback?limit=100`)).json<FeedbackPage>().results;
    t.same(
      all.map((r) => r.comment),
      ['c5', 'c4', 'c3', 'c2', 'c1'],
    );

    const seen: (string | null)[] = [];
    const sizes: number[] = [];
    let page = (await api.get(`/question-answers/${qa}/feedback?limit=2`)).json<FeedbackPage>();
    for (;;) {
      seen.push(...page.results.map((r) => r.comment));
      sizes.push(page.results.length);
      if (!page.next) break;
      const res = await api.get(`/question-answers/${qa}/feedback?cursor=${encodeURIComponent(page.next)}`); // limit back to 20: the rest
      t.equal(res.statusCode, 200);
      page = res.json<FeedbackPage>();
      if (sizes.length === 1) t.equal(page.next, null, 'the cursor alone, with the default limit, reads the rest');
    }
    t.same(seen, ['c5', 'c4', 'c3', 'c2', 'c1'], 'every reaction once, in order');
    t.same(sizes, [2, 3]);

    // Two pages of 2 then the last with the cursor and an explicit limit.
    const pageAt = async (cursor?: string | null) =>
      (
        await api.get(
          `/question-answers/${qa}/feedback?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        )
      ).json<FeedbackPage>();
    const p1 = await pageAt();
    t.ok(p1.next, 'a cursor after the first page');
    const p2 = await pageAt(p1.next);
    t.ok(p2.next, 'a cursor after the second page');
    const p3 = await pageAt(p2.next);
    t.same(
      [...p1.results, ...p2.results, ...p3.results].map((r) => r.comment),
      ['c5', 'c4', 'c3', 'c2', 'c1'],
    );
    t.equal(p3.next, null);

    const { question_answer_id: other } = await api.chat('Another answer');
    const foreign = await api.get(`/question-answers/${other}/feedback?cursor=${encodeURIComponent(p1.next ?? '')}`);
    t.equal(foreign.statusCode, 400, "another answer's cursor");
    t.match(foreign.json(), { statusCode: 400, message: /^cursor:/ });
    for (const query of ['cursor=garbage', 'limit=0', 'limit=101', 'limit=x', 'sort=asc']) {
      t.equal((await api.get(`/question-answers/${qa}/feedback?${query}`)).statusCode, 400, query);
    }
  },
);

t.test("another project's answer, an unknown one: 404, nothing of it shown", async (t) => {
  const { ctx, api, react } = await setup(t);
  const { question_answer_id: qa } = await api.chat('A private question');
  await react(qa, { reaction: 'upvote', comment: 'secret comment' });
  const b = await projectWithKey(ctx.db);
  const apiB = projectClient(ctx.app, b.projectId, b.key);
  const res = await apiB.get(`/question-answers/${qa}/feedback`);
  t.equal(res.statusCode, 404);
  t.match(res.json(), { statusCode: 404, error: 'Not Found', message: 'question-answer not found' });
  t.notOk(res.body.includes('secret comment'));
  t.equal((await api.get('/question-answers/00000000-0000-4000-8000-000000000000/feedback')).statusCode, 404);
  t.equal((await api.get('/question-answers/not-a-uuid/feedback')).statusCode, 400);
  const wrongKey = await ctx.app.inject({
    method: 'GET',
    url: `/query/v1/projects/${b.projectId}/question-answers/${qa}/feedback`,
    headers: { 'x-api-key': 'nope' },
  });
  t.equal(wrongKey.statusCode, 401);
});

t.test("the NDJSON export carries each question-answer's reactions, as its feedback list shows them", async (t) => {
  const { api, react } = await setup(t);
  const first = await api.chat('Where are the logs?');
  const follow = await api.chat('And on Windows?', first.thread_id);
  const quiet = await api.chat('No reactions here');
  await react(first.question_answer_id, { reaction: 'upvote', comment: 'thanks', user_identifier: 'u1' });
  await react(first.question_answer_id, { reaction: 'downvote' });
  await react(follow.question_answer_id, { reaction: 'downvote', comment: 'outdated' });

  const res = await api.get('/threads/export?format=ndjson');
  t.equal(res.statusCode, 200);
  const lines = res.body
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as Static<typeof ExportThread>);
  const byId = new Map(lines.map((l) => [l.id, l]));
  const line = byId.get(first.thread_id);
  if (!line) throw new Error('the export has no line for the first thread');
  t.same(
    line.question_answers.map((qa) => qa.id),
    [first.question_answer_id, follow.question_answer_id],
  );
  for (const qa of line.question_answers) {
    const listed = (await api.get(`/question-answers/${qa.id}/feedback`)).json<FeedbackPage>().results;
    t.same(qa.feedback.results, listed, 'the same reactions, in the same order');
  }
  t.same(line.question_answers[0].feedback.upvotes, 1, 'the counts are still there');
  t.same(
    line.question_answers[0].feedback.results.map((r) => [r.reaction, r.comment, r.user_identifier]),
    [
      ['downvote', null, null],
      ['upvote', 'thanks', 'u1'],
    ],
  );
  t.same(byId.get(quiet.thread_id)?.question_answers[0].feedback, { upvotes: 0, downvotes: 0, results: [] });

  // Apart from the reactions, the line is the thread detail.
  const detail = (await api.get(`/threads/${first.thread_id}/`)).json<Static<typeof ThreadDetail>>();
  const withoutReactions = {
    ...line,
    question_answers: line.question_answers.map((qa) => {
      const feedback: Partial<typeof qa.feedback> = { ...qa.feedback };
      delete feedback.results;
      return { ...qa, feedback };
    }),
  };
  t.same(withoutReactions, detail);
});
