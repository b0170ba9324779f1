import t from 'tap';
import { sql } from 'drizzle-orm';
import { seed } from '../src/cli/seed.js';
import { runCli } from './cli-io.js';
import { build } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';

t.test('npm run seed inserts historical threads of 1 to 3 question-answers, and no jobs', async (t) => {
  const { app, db, url } = await build(t);
  const a = await projectWithKey(db);
  const { code, stdout } = await runCli(seed, ['--project', a.projectId, '--threads', '120'], { DATABASE_URL: url });
  t.equal(code, 0);
  t.match(stdout, /seeded 120 threads/);

  const [stats] = await db.execute<{
    threads: number;
    min_qa: number;
    max_qa: number;
    mismatched: number;
    oldest_days: number;
    jobs: number;
  }>(sql`
    select (select count(*)::int from threads) as threads,
           (select min(total_questions) from threads) as min_qa,
           (select max(total_questions) from threads) as max_qa,
           (select count(*)::int from threads t where t.total_questions <> (select count(*) from question_answers q where q.thread_id = t.id)
              or t.first_question <> (select question from question_answers q where q.thread_id = t.id and q.position = 1)) as mismatched,
           (select extract(day from now() - min(created_at))::int from threads) as oldest_days,
           (select count(*)::int from graphile_worker.jobs) as jobs`);
  t.equal(stats.threads, 120);
  t.ok(stats.min_qa >= 1 && stats.max_qa <= 3 && stats.max_qa > stats.min_qa, 'between 1 and 3 question-answers');
  t.equal(stats.mismatched, 0, 'total_questions and first_question agree with the question-answers');
  t.ok(stats.oldest_days > 30 && stats.oldest_days <= 365, 'spread over the past year');
  t.equal(stats.jobs, 0, 'no jobs');

  const page = (await projectClient(app, a.projectId, a.key).get('/threads/?limit=100')).json<{
    results: unknown[];
    next: string | null;
  }>();
  t.equal(page.results.length, 100);
  t.type(page.next, 'string');
});

t.test('npm run seed refuses bad arguments and a project that is not there', async (t) => {
  const { url } = await build(t);
  const usage = await runCli(seed, ['--project', 'nope', '--threads', '10'], { DATABASE_URL: url });
  t.equal(usage.code, 2);
  t.match(usage.stderr, /usage: npm run seed/);
  const missing = await runCli(seed, ['--project', '00000000-0000-4000-8000-000000000000', '--threads', '10'], {
    DATABASE_URL: url,
  });
  t.equal(missing.code, 1);
  t.match(missing.stderr, /seed failed: project 00000000-0000-4000-8000-000000000000 not found/);
});
