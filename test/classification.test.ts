import type { Static } from '@sinclair/typebox';
import t from 'tap';
import { sql } from 'drizzle-orm';
import { Logger, runOnce } from 'graphile-worker';
import { createThread } from '../src/db/queries/chat-write.js';
import { StaticClassifier, type Classifier } from '../src/models/classifier.js';
import type { Category } from '../src/schemas/categories.js';
import type { Thread, ThreadDetail } from '../src/schemas/threads.js';
import { build, drain, rescheduleJobs, withJobPool } from './helper.js';
import { ControlledClassifier, projectClient, projectWithKey, standInUsage } from './factories.js';

type CategoryJson = Static<typeof Category>;
type ThreadJson = Static<typeof Thread>;
type ThreadDetailJson = Static<typeof ThreadDetail>;
type Results<T> = { results: T[] };

const jobs = async (db: Parameters<typeof drain>[0]['db'], task = 'threads__classify') =>
  (
    await db.execute<{ n: number }>(
      sql`select count(*)::int as n from graphile_worker.jobs where task_identifier = ${task}`,
    )
  )[0].n;

t.test(
  'three teams with their own categories, end to end through HTTP: each thread labelled from its own project',
  async (t) => {
    const ctx = await build(t);
    const { app, db } = ctx;
    const A = await projectWithKey(db, 'A');
    const B = await projectWithKey(db, 'B');
    const C = await projectWithKey(db, 'C');
    const [apiA, apiB, apiC] = [A, B, C].map((x) => projectClient(app, x.projectId, x.key));

    // B adds Careers and Legal.
    const careers = (
      await apiB.post('/categories/', { name: 'Careers', description: 'asking about open positions' })
    ).json<CategoryJson>();
    const legal = (
      await apiB.post('/categories/', { name: 'Legal', description: 'asking about terms of service' })
    ).json<CategoryJson>();
    // C keeps Troubleshooting, deletes Discovery, adds Coding.
    const [discoveryC] = (await apiC.get('/categories/')).json<Results<CategoryJson>>().results;
    t.equal((await apiC.delete(`/categories/${discoveryC.id}/`)).statusCode, 204);
    const coding = (
      await apiC.post('/categories/', {
        name: 'Coding',
        description: 'asking how to write code against the API, with code examples',
      })
    ).json<CategoryJson>();

    const questions = [
      'What are the system requirements for running the software?',
      'When I run your program my computer runs out of memory, what can I do?',
      'Do you have open positions for engineers?',
      'Where can I read your terms of service?',
      'Can you show me code examples to write a client against the API?',
    ];
    const asked: Record<string, string[]> = { A: [], B: [], C: [] };
    for (const [name, api] of [
      ['A', apiA],
      ['B', apiB],
      ['C', apiC],
    ] as const) {
      for (const q of questions) asked[name].push((await api.chat(q)).thread_id);
    }
    t.equal(await jobs(db), 15, 'one classification job per new thread');
    const before = (await apiA.get('/threads/')).json<Results<ThreadJson>>().results;
    t.ok(
      before.every((x) => x.category === null && x.category_source === null && x.categorized_at === null),
      'null until classified',
    );

    await drain(ctx);
    t.equal(await jobs(db), 0, 'every job done');

    const labels = async (api: typeof apiA) =>
      Object.fromEntries(
        (await api.get('/threads/')).json<Results<ThreadJson>>().results.map((x) => [x.first_question, x]),
      );
    const a = await labels(apiA);
    const b = await labels(apiB);
    const c = await labels(apiC);
    for (const set of [a, b, c]) {
      t.ok(
        Object.values(set).every((x) => x.category && x.category_source === 'classifier' && x.categorized_at),
        'every thread labelled by the classifier',
      );
    }
    t.equal(a[questions[0]].category!.name, 'Discovery');
    t.equal(a[questions[1]].category!.name, 'Troubleshooting');
    t.ok(
      Object.values(a).every((x) => ['Discovery', 'Troubleshooting'].includes(x.category!.name)),
      'A: only the defaults',
    );
    t.equal(b[questions[2]].category!.id, careers.id, 'B: Careers');
    t.equal(b[questions[3]].category!.id, legal.id, 'B: Legal');
    t.ok(
      Object.values(c).every((x) => ['Troubleshooting', 'Coding'].includes(x.category!.name)),
      'C: never the deleted Discovery',
    );
    t.equal(c[questions[4]].category!.id, coding.id, 'C: Coding');
    t.equal(c[questions[1]].category!.name, 'Troubleshooting');
    t.match(c[questions[4]].category, { id: coding.id, name: 'Coding', description: /code examples/ });
  },
);

t.test('the user label wins over a classification in flight', async (t) => {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const [discovery, troubleshooting] = (await api.get('/categories/')).json<Results<CategoryJson>>().results;
  const { thread_id } = await api.chat('How do I configure webhooks?');

  // The classifier will answer Discovery, but only after the user has set Troubleshooting.
  const classifier = new ControlledClassifier((cats) => cats.find((c) => c.id === discovery.id)!);
  const inFlight = classifier.hold();
  const worker = drain(ctx, { classifier });
  await inFlight;
  const patched = await api.patch(`/threads/${thread_id}/`, { category_id: troubleshooting.id });
  t.equal(patched.statusCode, 200);
  t.match(patched.json(), {
    id: thread_id,
    category: { id: troubleshooting.id, name: 'Troubleshooting' },
    category_source: 'user',
  });
  classifier.release();
  await worker;

  const thread = (await api.get(`/threads/${thread_id}/`)).json<ThreadDetailJson>();
  t.match(thread, { category: { id: troubleshooting.id }, category_source: 'user' }, "the user's label stayed");
  t.equal(classifier.questions.length, 1);

  // A repeat of the same job (graphile-worker may run a job twice) changes nothing.
  await ctx.db.execute(
    sql`select graphile_worker.add_job('threads__classify', json_build_object('project_id', ${a.projectId}::uuid, 'thread_ids', json_build_array(${thread_id}::uuid)))`,
  );
  await drain(ctx, { classifier });
  t.match((await api.get(`/threads/${thread_id}/`)).json<ThreadDetailJson>(), {
    category: { id: troubleshooting.id },
    category_source: 'user',
  });
});

t.test('a user sets, corrects and clears a label; null hands the thread back to the classifier', async (t) => {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db, 'A');
  const b = await projectWithKey(ctx.db, 'B');
  const api = projectClient(ctx.app, a.projectId, a.key);
  const [discovery, troubleshooting] = (await api.get('/categories/')).json<Results<CategoryJson>>().results;
  const { thread_id } = await api.chat('My build fails with an out of memory error');
  await drain(ctx);
  t.match((await api.get(`/threads/${thread_id}/`)).json<ThreadDetailJson>(), {
    category: { name: 'Troubleshooting' },
    category_source: 'classifier',
  });

  const set = await api.patch(`/threads/${thread_id}`, { category_id: discovery.id });
  t.match(set.json(), { category: { id: discovery.id }, category_source: 'user', categorized_at: String });
  t.equal(set.json<ThreadDetailJson>().question_answers.length, 1, 'answers the whole thread');

  const cleared = await api.patch(`/threads/${thread_id}/`, { category_id: null });
  t.match(cleared.json(), { category: null, category_source: null, categorized_at: null });
  t.equal(await jobs(ctx.db), 1, 'handed back: a classification job');
  await drain(ctx);
  t.match((await api.get(`/threads/${thread_id}/`)).json<ThreadDetailJson>(), {
    category: { id: troubleshooting.id },
    category_source: 'classifier',
  });

  const [foreignCategory] = (await projectClient(ctx.app, b.projectId, b.key).get('/categories/')).json<
    Results<CategoryJson>
  >().results;
  for (const [what, body, status] of [
    ["another project's category", { category_id: foreignCategory.id }, 404],
    ['an unknown category', { category_id: '00000000-0000-4000-8000-000000000000' }, 404],
    ['not a UUID', { category_id: 'Discovery' }, 400],
    ['missing category_id', {}, 400],
  ] as const) {
    const res = await api.patch(`/threads/${thread_id}/`, body);
    t.equal(res.statusCode, status, what);
    t.match(res.json(), { statusCode: status, message: String });
  }
  t.match(
    (await api.get(`/threads/${thread_id}/`)).json<ThreadDetailJson>(),
    { category: { id: troubleshooting.id }, category_source: 'classifier' },
    'unchanged by refused requests',
  );

  const otherThread = await projectClient(ctx.app, b.projectId, b.key).chat('hello from B');
  t.equal(
    (await api.patch(`/threads/${otherThread.thread_id}/`, { category_id: discovery.id })).statusCode,
    404,
    "another project's thread",
  );
});

t.test('classification uses the first question only; follow-ups never trigger or change it', async (t) => {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const classifier = new ControlledClassifier();
  const { thread_id } = await api.chat('What are the system requirements for running the software?');
  await api.chat('My computer runs out of memory, what can I do?', thread_id);
  t.equal(await jobs(ctx.db), 1, 'the follow-up added no job');
  await drain(ctx, { classifier });
  t.same(classifier.questions, ['What are the system requirements for running the software?']);
  const labelled = (await api.get(`/threads/${thread_id}/`)).json<ThreadDetailJson>();
  t.equal(labelled.category?.name, 'Discovery');

  await api.chat('It crashes with an error, I need help with this problem', thread_id);
  t.equal(await jobs(ctx.db), 0);
  await drain(ctx, { classifier });
  const after = (await api.get(`/threads/${thread_id}/`)).json<ThreadDetailJson>();
  t.same([after.category, after.categorized_at], [labelled.category, labelled.categorized_at], 'label unchanged');
  t.equal(classifier.questions.length, 1);
});

t.test('a rolled-back chat leaves no thread and no job; a committed one always has its job', async (t) => {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  await t.rejects(
    ctx.db.transaction(async (tx) => {
      await createThread(tx, {
        projectId: a.projectId,
        question: 'q',
        answer: 'a',
        usage: standInUsage,
        classifyTimeoutSeconds: 300,
      });
      throw new Error('the request failed after the insert');
    }),
  );
  t.equal(await jobs(ctx.db), 0);
  t.equal((await ctx.db.execute<{ n: number }>(sql`select count(*)::int as n from threads`))[0].n, 0);

  const { threadId } = await createThread(ctx.db, {
    projectId: a.projectId,
    question: 'q',
    answer: 'a',
    usage: standInUsage,
    classifyTimeoutSeconds: 300,
  });
  const queued = await ctx.db.execute<{ task_identifier: string; priority: number }>(
    sql`select task_identifier, priority from graphile_worker.jobs`,
  );
  t.same(queued, [{ task_identifier: 'threads__classify', priority: 0 }], 'one job, at live priority');
  // The job names the thread: run it with a task that only records its payload.
  const payloads: unknown[] = [];
  await withJobPool(ctx.url, (pgPool) =>
    runOnce({
      pgPool,
      logger: new Logger(() => () => {}),
      taskList: { threads__classify: (payload) => void payloads.push(payload) },
    }),
  );
  t.match(payloads, [{ project_id: a.projectId, thread_ids: [threadId] }]);
  t.equal(payloads.length, 1);
});

t.test("deleting a category clears its labels (also users') and reclassifies; renaming keeps them", async (t) => {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const [discovery, troubleshooting] = (await api.get('/categories/')).json<Results<CategoryJson>>().results;
  const byClassifier = await api.chat('What are the system requirements for running the software?');
  const byUser = await api.chat('How do I configure the CLI?');
  const kept = await api.chat('When I run your program my computer runs out of memory, what can I do?');
  await drain(ctx);
  await api.patch(`/threads/${byUser.thread_id}/`, { category_id: discovery.id });
  t.equal((await api.get(`/threads/${byClassifier.thread_id}/`)).json<ThreadDetailJson>().category?.id, discovery.id);

  await api.patch(`/categories/${discovery.id}/`, { name: 'How-to', description: 'how do I' });
  const renamed = (await api.get(`/threads/${byUser.thread_id}/`)).json<ThreadDetailJson>();
  t.match(
    renamed,
    { category: { id: discovery.id, name: 'How-to', description: 'how do I' }, category_source: 'user' },
    'renaming keeps the label',
  );

  t.equal((await api.delete(`/categories/${discovery.id}/`)).statusCode, 204);
  for (const id of [byClassifier.thread_id, byUser.thread_id]) {
    t.match((await api.get(`/threads/${id}/`)).json<ThreadDetailJson>(), {
      category: null,
      category_source: null,
      categorized_at: null,
    });
  }
  t.match(
    (await api.get(`/threads/${kept.thread_id}/`)).json<ThreadDetailJson>(),
    { category: { id: troubleshooting.id }, category_source: 'classifier' },
    'other labels untouched',
  );

  await drain(ctx);
  for (const id of [byClassifier.thread_id, byUser.thread_id]) {
    t.match(
      (await api.get(`/threads/${id}/`)).json<ThreadDetailJson>(),
      { category: { id: troubleshooting.id }, category_source: 'classifier' },
      'reclassified against what remains',
    );
  }
});

t.test('a project with no categories leaves threads null without failing jobs, then classifies them', async (t) => {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  for (const c of (await api.get('/categories/')).json<Results<CategoryJson>>().results)
    await api.delete(`/categories/${c.id}/`);
  const ids = [];
  for (let i = 0; i < 3; i++) ids.push((await api.chat(`How do I set up SSO, take ${i}?`)).thread_id);
  await drain(ctx);
  await drain(ctx);
  t.equal(await jobs(ctx.db), 0, 'no job left over, none failing');
  const [failed] = await ctx.db.execute<{ n: number }>(
    sql`select count(*)::int as n from graphile_worker.jobs where last_error is not null`,
  );
  t.equal(failed.n, 0, 'no errors');
  const page = (await api.get('/threads/')).json<Results<ThreadJson>>().results;
  t.ok(page.every((x) => x.category === null));

  const created = (
    await api.post('/categories/', { name: 'Setup', description: 'installing and configuring' })
  ).json<CategoryJson>();
  await drain(ctx);
  const after = (await api.get('/threads/')).json<Results<ThreadJson>>().results;
  t.same(
    after.map((x) => x.category?.id),
    [created.id, created.id, created.id],
    'classified once a category exists',
  );
});

t.test('a classifier failure is retried with backoff and never blocks other threads', async (t) => {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  let failures = 0;
  const flaky: Classifier = {
    async classify(question, categories) {
      if (question.includes('unlucky') && failures++ < 1) throw new Error('model provider timed out');
      return new StaticClassifier(0).classify(question, categories);
    },
  };
  const unlucky = await api.chat('An unlucky question about webhooks');
  const lucky = await api.chat('A question about backups');
  await drain(ctx, { classifier: flaky });
  t.equal(
    (await api.get(`/threads/${unlucky.thread_id}/`)).json<ThreadDetailJson>().category,
    null,
    'still null after a failure',
  );
  t.not(
    (await api.get(`/threads/${lucky.thread_id}/`)).json<ThreadDetailJson>().category,
    null,
    'the other thread is labelled',
  );
  const [job] = await ctx.db.execute<{ id: string; attempts: number; last_error: string; later: boolean }>(
    sql`select id, attempts, last_error, run_at > now() as later from graphile_worker.jobs where task_identifier = 'threads__classify'`,
  );
  t.match(job, { attempts: 1, last_error: /model provider timed out/, later: true }, 'kept, to be retried later');

  // Due now instead of after the backoff.
  await rescheduleJobs(ctx.url, [job.id], { runAt: new Date() });
  await drain(ctx, { classifier: flaky });
  t.match((await api.get(`/threads/${unlucky.thread_id}/`)).json<ThreadDetailJson>(), {
    category: { name: String },
    category_source: 'classifier',
  });
});

t.test('CATEGORISATION=off: chat adds no job; the threads are labelled once it is on again', async (t) => {
  const off = await build(t, { env: { CATEGORISATION: 'off' } });
  const a = await projectWithKey(off.db);
  const api = projectClient(off.app, a.projectId, a.key);
  const { thread_id } = await api.chat('How do I rotate TLS certificates?');
  t.equal(await jobs(off.db), 0);
  await drain(off);
  t.equal(
    (await api.get(`/threads/${thread_id}/`)).json<ThreadDetailJson>().category,
    null,
    'an "off" worker classifies nothing',
  );

  const on = { ...off, config: { ...off.config, CATEGORISATION: 'on' as const } };
  await on.db.execute(sql`select graphile_worker.add_job('classification__sweep', '{}'::json)`);
  await drain(on);
  t.match((await api.get(`/threads/${thread_id}/`)).json<ThreadDetailJson>(), {
    category: { name: String },
    category_source: 'classifier',
  });
});
