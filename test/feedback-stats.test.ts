// The console's overview shows the project's feedback: the sums of its answers' reaction counts, another
// project's reactions never included, optionally in a window of when the answers were given.
import t from 'tap';
import { sql } from 'drizzle-orm';
import { build } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';

t.test("feedback stats sum the project's answers' reactions, in an optional window", async (t) => {
  const { app, db } = await build(t);
  const a = await projectWithKey(db);
  const b = await projectWithKey(db);
  const api = projectClient(app, a.projectId, a.key);
  const other = projectClient(app, b.projectId, b.key);
  const stats = async (query = '') => {
    const res = await api.get(`/feedback/stats${query}`);
    t.equal(res.statusCode, 200, res.body);
    return res.json<Record<string, number>>();
  };
  t.same(await stats(), { upvotes: 0, downvotes: 0, answers: 0, answers_with_feedback: 0 }, 'nothing yet');

  const react = async (client: typeof api, qa: string, body: object) => {
    const res = await client.post(`/question-answers/${qa}/feedback`, body);
    t.equal(res.statusCode, 200, res.body);
  };
  const first = (await api.chat('How do I install it?')).question_answer_id;
  const second = (await api.chat('Where is the changelog?')).question_answer_id;
  await api.chat('Nobody reacts to this one');
  await react(api, first, { reaction: 'upvote', user_identifier: 'u1' });
  await react(api, first, { reaction: 'downvote', user_identifier: 'u1' }); // replaces u1's upvote
  await react(api, first, { reaction: 'upvote' });
  await react(api, second, { reaction: 'downvote' });
  await react(api, second, { reaction: 'downvote' });
  const elsewhere = (await other.chat('Another project')).question_answer_id;
  await react(other, elsewhere, { reaction: 'upvote' });

  t.same(await stats(), { upvotes: 1, downvotes: 3, answers: 3, answers_with_feedback: 2 });

  // The first answer was given a day ago: a window from an hour ago leaves it out.
  await db.execute(sql`update question_answers set created_at = now() - interval '1 day' where id = ${first}`);
  const hourAgo = new Date(Date.now() - 3600_000).toISOString();
  t.same(await stats(`?created_after=${encodeURIComponent(hourAgo)}`), {
    upvotes: 0,
    downvotes: 2,
    answers: 2,
    answers_with_feedback: 1,
  });
  t.same(await stats(`?created_before=${encodeURIComponent(hourAgo)}`), {
    upvotes: 1,
    downvotes: 1,
    answers: 1,
    answers_with_feedback: 1,
  });
  t.equal((await api.get('/feedback/stats?created_after=yesterday')).statusCode, 400, 'a date-time or nothing');
  t.equal((await app.inject(`/query/v1/projects/${a.projectId}/feedback/stats`)).statusCode, 401, 'the key is needed');
});
