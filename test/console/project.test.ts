// The project console in Chromium, through the real server and worker: each page shows the API's numbers, and
// what a person does on it (a label, a category, a relabel preview, an export, a webhook) is the API's.
import { readFile } from 'node:fs/promises';
import t from 'tap';
import { waitFor } from '../helper.js';
import { receiver } from '../receiver.js';
import { ControlledClassifier } from '../factories.js';
import { newTab, open, screenshots, signInProject, startConsole, tableRows } from './browser.js';

type Category = { id: string; name: string };
type Stats = { total: number; results: { category: Category | null; count: number }[] };
type Series = { results: { total: number; categories: { category: Category | null; count: number }[] }[] };
type ThreadDetail = {
  id: string;
  category: Category | null;
  category_source: string | null;
  question_answers: { usage: { model: string; prompt_tokens: number; completion_tokens: number } }[];
};

// The worker's classifier can be held in flight, so that a relabel run is seen under way.
const classifier = new ControlledClassifier();
const c = await startConsole(t, { env: { WEBHOOK_ALLOW_PRIVATE: 'true' }, workerClassifier: classifier });

// The project's history: two categories, questions asked through the API, labelled by the worker.
const billing = await c.projectApi<Category>('/categories/', 'POST', {
  name: 'Billing',
  description: 'invoice payment refund card',
});
await c.projectApi('/categories/', 'POST', { name: 'Install', description: 'setup download upgrade version' });
const questions = [
  'How do I pay an invoice by card?',
  'Can I get a refund for last month?',
  'How do I install the CLI on Linux?',
  'Which version should I download?',
  'How do I upgrade from version 2?',
];
const answers: Record<string, string> = {};
for (const question of questions)
  answers[question] = (
    await c.projectApi<{ question_answer_id: string }>('/chat', 'POST', { question })
  ).question_answer_id;
// Reactions: two on the Linux question's answer, one on another.
const feedback = (question: string, body: object) =>
  c.projectApi(`/question-answers/${answers[question]}/feedback`, 'POST', body);
await feedback(questions[2], { reaction: 'downvote', comment: 'Missing the apt steps', user_identifier: 'user-7' });
await feedback(questions[2], { reaction: 'upvote' });
await feedback(questions[0], { reaction: 'upvote' });
await waitFor('every thread labelled by the worker', async () => {
  const stats = await c.projectApi<Stats>('/categories/stats');
  return stats.total === questions.length && stats.results.every((r) => r.category !== null || r.count === 0);
});

t.test("the overview's numbers are the API's", async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await page.getByRole('heading', { level: 1, name: 'Overview', exact: true }).waitFor();

  const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
  const stats = await c.projectApi<Stats>('/categories/stats');
  const series = await c.projectApi<Series>(`/categories/stats/timeseries?interval=day&timezone=${zone}`);
  const inPeriod = (id: string | null) =>
    series.results.reduce((sum, b) => sum + (b.categories.find((x) => (x.category?.id ?? null) === id)?.count ?? 0), 0);

  const rows = await tableRows(page, 'Threads per category');
  const expected = [
    ...stats.results.map((r) => [
      r.category?.name ?? 'Unlabelled',
      String(r.count),
      String(inPeriod(r.category?.id ?? null)),
    ]),
    ['Total', String(stats.total), String(series.results.reduce((sum, b) => sum + b.total, 0))],
  ];
  t.same(rows, expected, 'each category, its count and its count over the chart period, as the API gives them');
  const votes = await c.projectApi<{ upvotes: number; downvotes: number }>('/feedback/stats');
  t.same(
    [await page.getByTestId('upvotes').innerText(), await page.getByTestId('downvotes').innerText()],
    [String(votes.upvotes), String(votes.downvotes)],
    "the feedback counts are the API's",
  );
  t.same([votes.upvotes, votes.downvotes], [2, 1]);
  t.equal(stats.total, questions.length, 'the API counts every thread');
  t.equal(
    expected.at(-1)![2],
    String(stats.total),
    "the chart's period holds every thread: its totals equal /categories/stats",
  );

  // The chart is drawn (a canvas in the chart's box), and its numbers are there as a table too.
  await page.locator('[role="img"] canvas').first().waitFor();
  await page.getByText("The chart's numbers").click();
  const perDay = await tableRows(page, 'Threads per category per day');
  t.equal(
    perDay.reduce((sum, row) => sum + Number(row[1]), 0),
    stats.total,
    "the chart's daily totals add up to the API's total",
  );
  await screenshots(t, page, 'overview');
  t.same(faults, []);
});

t.test(
  'a thread: its usage and feedback, relabelled in the console and so in the API; the list filters by who labelled',
  async (t) => {
    const tab = await newTab(c);
    t.teardown(tab.close);
    const { page, faults } = tab;
    await signInProject(page, c);
    await open(page, c, '#/p/threads', 'Threads');
    const rows = await tableRows(page, 'Threads, newest first');
    t.same(rows.map((r) => r[0]).sort(), [...questions].sort(), 'every thread is listed by its first question');
    await screenshots(t, page, 'threads');

    const question = 'How do I install the CLI on Linux?';
    await page.getByRole('link', { name: question }).click();
    await page.getByRole('heading', { level: 1, name: 'Thread', exact: true }).waitFor();
    const threadId = page.url().split('/').at(-1)!;
    const before = await c.projectApi<ThreadDetail>(`/threads/${threadId}/`);
    t.equal(before.category_source, 'classifier', 'the worker labelled it');
    t.not(before.category?.id, billing.id, 'not as Billing yet');

    await page.getByLabel('Change category').selectOption({ label: 'Billing' });
    await page.getByRole('button', { name: 'Save category' }).click();
    await page.getByTestId('thread-category').filter({ hasText: 'Billing (by user)' }).waitFor();
    const after = await c.projectApi<ThreadDetail>(`/threads/${threadId}/`);
    t.equal(after.category?.id, billing.id, 'the API has the new category');
    t.equal(after.category_source, 'user', 'as set by a person');

    // Its answer's usage and feedback, as the API has them.
    const { usage } = after.question_answers[0];
    const meta = await page.getByText(/completion tokens/).innerText();
    t.match(meta, `${usage.model}: ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens`);
    t.match(meta, '1 up, 1 down', 'its reactions counted');
    await page.getByRole('button', { name: 'Show feedback' }).click();
    const reactions = (await tableRows(page, 'Feedback on this answer, newest first')).map((r) => r.slice(0, 3));
    t.same(
      reactions.sort(),
      [
        ['downvote', 'Missing the apt steps', 'user-7'],
        ['upvote', '', 'anonymous'],
      ],
      'each reaction with its comment and user',
    );
    await screenshots(t, page, 'thread');

    await page.getByRole('link', { name: 'Back to threads' }).click();
    await page.getByLabel('Labelled by').selectOption({ label: 'User' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await waitFor('the list filtered to the threads a person labelled', async () => {
      const shown = await tableRows(page, 'Threads, newest first');
      return shown.length === 1 && shown[0][0] === question && shown[0][1] === 'Billing';
    });
    t.same(faults, []);
  },
);

t.test('a category created and deleted in the console is created and deleted in the API', async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await open(page, c, '#/p/categories', 'Categories');
  const form = page.getByRole('form', { name: 'New category' });
  await form.getByLabel('Name').fill('Shipping');
  await form.getByLabel('Description').fill('parcel delivery courier');
  await form.getByRole('button', { name: 'Create category' }).click();
  await page.getByRole('cell', { name: 'Shipping', exact: true }).waitFor();
  const listed = async () => (await c.projectApi<{ results: Category[] }>('/categories/')).results.map((x) => x.name);
  t.ok((await listed()).includes('Shipping'), 'the API lists the new category');
  const shown = await tableRows(page, "The project's categories");
  t.same(shown.map((r) => r[0]).sort(), (await listed()).sort(), 'the table lists the API’s categories');
  await screenshots(t, page, 'categories');

  await page.getByRole('button', { name: 'Delete Shipping' }).click();
  t.ok((await listed()).includes('Shipping'), 'nothing is deleted before the confirmation');
  await page.getByRole('button', { name: 'Confirm delete' }).click();
  await page.getByRole('cell', { name: 'Shipping', exact: true }).waitFor({ state: 'detached' });
  t.notOk((await listed()).includes('Shipping'), 'the API no longer has it');
  t.same(faults, []);
});

t.test("a relabel preview shows the sample's changes and the API's estimate", async (t) => {
  // A new category that one question names: the classifier would now move that thread to it.
  await c.projectApi('/categories/', 'POST', { name: 'Refund', description: 'money back' });
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await open(page, c, '#/p/relabel', 'Relabel');
  await page.getByLabel('Sample size').fill('50');
  await page.getByRole('button', { name: 'Preview' }).click();
  const changes = await tableRows(page, 'Sampled threads whose label would change');
  t.same(changes, [['Can I get a refund for last month?', 'Billing', 'Refund']], 'the thread that would move');

  type Preview = { sampled: number; estimate: { threads: number; provider_calls: number } };
  const api = await c.projectApi<Preview>('/categories/relabel/preview', 'POST', { sample: 50 });
  const text = await page.getByTestId('relabel-preview').innerText();
  t.match(text, `Of ${api.sampled} sampled threads, 1 would change label`, 'the sample as the API counts it');
  t.match(text, `reclassify ${api.estimate.threads} threads in ${api.estimate.provider_calls} classifier calls`);
  t.equal(api.sampled, questions.length - 1, 'every thread the classifier labelled (not the one a person did)');
  await screenshots(t, page, 'relabel');
  t.same(faults, []);
});

t.test('a relabel run: its progress bar while it runs, cancelled, then run to the end', async (t) => {
  type Run = { status: string; total: number; done: number };
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await open(page, c, '#/p/relabel', 'Relabel');
  const status = page.getByTestId('relabel-status');
  const entered = classifier.hold();
  t.teardown(() => classifier.release());
  await page.getByRole('button', { name: 'Run relabel' }).click();
  await entered;
  await status.filter({ hasText: 'running' }).waitFor();
  const running = await c.projectApi<Run>('/categories/relabel');
  t.match(running, { status: 'running', done: 0 });
  // The API's progress, on the page.
  await page.getByText(`Threads dealt with: 0 of ${running.total} (0%)`).waitFor();
  await screenshots(t, page, 'relabel-running');

  await page.getByRole('button', { name: 'Cancel relabel' }).click();
  await status.filter({ hasText: 'cancelled' }).waitFor();
  t.equal((await c.projectApi<Run>('/categories/relabel')).status, 'cancelled', 'cancelled in the API');
  classifier.release();

  await page.getByRole('button', { name: 'Run relabel' }).click();
  await status.filter({ hasText: 'done' }).waitFor();
  const done = await c.projectApi<Run>('/categories/relabel');
  t.match(done, { status: 'done', done: done.total });
  await page.getByText(`Threads dealt with: ${done.total} of ${done.total} (100%)`).waitFor();
  type Threads = { results: { first_question: string; category: Category | null }[] };
  const moved = (await c.projectApi<Threads>('/threads/')).results.find(
    (x) => x.first_question === 'Can I get a refund for last month?',
  );
  t.equal(moved?.category?.name, 'Refund', 'the thread the preview named was relabelled');
  t.same(faults, []);
});

t.test("an export downloads the API's own CSV, fetched with the key header, never a key in a link", async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await open(page, c, '#/p/export', 'Export');
  const [download] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name: 'Download CSV' }).click(),
  ]);
  t.match(download.url(), /^blob:/, 'saved from a Blob, not from a link to the API');
  t.equal(download.suggestedFilename(), 'threads.csv');
  const saved = await readFile(await download.path(), 'utf8');
  const res = await fetch(`${c.base}/query/v1/projects/${c.project.projectId}/threads/export?format=csv`, {
    headers: { 'x-api-key': c.project.key },
  });
  t.equal(saved, await res.text(), "the file is the API's export");
  t.equal(saved.trim().split('\n').length, questions.length + 1, 'a header and a row per thread');
  await screenshots(t, page, 'export');
  t.same(faults, []);
});

t.test("webhooks: one created on the page, a test sent, its deliveries with the API's reasons", async (t) => {
  const hooks = await receiver(t, [500]);
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await open(page, c, '#/p/webhooks', 'Webhooks');
  await page.getByLabel('Endpoint URL').fill(hooks.url);
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await page.getByTestId('webhook-secret').waitFor();
  const [hook] = (await c.projectApi<{ results: { id: string; url: string }[] }>('/webhooks')).results;
  t.equal(hook?.url, hooks.url, 'the API has the webhook');

  await page.getByRole('button', { name: `Send test to ${hooks.url}` }).click();
  await page.getByRole('cell', { name: /^failed: .*500/ }).waitFor();
  t.equal(hooks.received.length, 1, 'the receiver got the test event');

  // A new thread's event, delivered by the worker to a receiver that refuses it: the reason is the API's.
  await c.projectApi('/chat', 'POST', { question: 'Is there a webhook for new threads?' });
  type Deliveries = { results: { event_id: string; type: string; error: string | null }[] };
  // Both of its events (created, then labelled) tried once: their reasons stay while they are retried.
  const api = await waitFor('both deliveries failed once in the API', async () => {
    const list = await c.projectApi<Deliveries>(`/webhooks/${hook.id}/deliveries`);
    return list.results.length === 2 && list.results.every((d) => d.error) && list;
  });
  await page.getByRole('button', { name: `Deliveries of ${hooks.url}` }).click();
  const shown = await tableRows(page, 'Latest 100 deliveries, newest first');
  t.same(
    shown.map((r) => [r[0], r[1], r[5]]),
    api.results.map((d) => [d.event_id, d.type, d.error ?? '']),
    'each delivery with its type and why it failed',
  );
  await screenshots(t, page, 'webhooks');
  t.same(faults, []);
});

t.test('a long thread list pages as the API does: Next, then Previous', async (t) => {
  for (let i = 1; i <= 21; i++) await c.projectApi('/chat', 'POST', { question: `Paging question ${i}?` });
  type Page = { results: { first_question: string }[]; next: string | null };
  const first = await c.projectApi<Page>('/threads/?limit=20');
  const second = await c.projectApi<Page>(`/threads/?limit=20&cursor=${encodeURIComponent(first.next!)}`);
  t.equal(first.results.length, 20);
  t.ok(second.results.length > 0, 'a second page');

  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await open(page, c, '#/p/threads', 'Threads');
  const shown = async () => (await tableRows(page, 'Threads, newest first')).map((r) => r[0]);
  t.same(
    await shown(),
    first.results.map((x) => x.first_question),
    "the API's first page",
  );
  t.ok(await page.getByRole('button', { name: 'Previous' }).isDisabled(), 'no page before the first');
  await page.getByRole('button', { name: 'Next' }).click();
  await page.getByRole('cell', { name: second.results[0].first_question, exact: true }).waitFor();
  t.same(
    await shown(),
    second.results.map((x) => x.first_question),
    "the API's second page",
  );
  await page.getByRole('button', { name: 'Previous' }).click();
  await page.getByRole('cell', { name: first.results[0].first_question, exact: true }).waitFor();
  t.same(
    await shown(),
    first.results.map((x) => x.first_question),
    'back to the first',
  );
  t.same(faults, []);
});
