// The project console in Chromium, through the real server and worker: each page shows the API's numbers, and
// what a person does on it (a label, a category, a source, a question) is there in the API afterwards.
import t from 'tap';
import { StaticLlm, type AnswerStream, type LlmClient, type Prompt } from '../../src/models/llm.js';
import { waitFor } from '../helper.js';
import { newTab, open, screenshots, signInProject, startConsole, tableRows } from './browser.js';

/** The stand-in model, whose streamed answer stops after its first piece until the test lets the rest come. */
class HeldStream implements LlmClient {
  private readonly inner = new StaticLlm(0);
  private gate: Promise<void> | null = null;
  release = () => {};
  hold() {
    this.gate = new Promise((resolve) => (this.release = resolve));
  }
  complete(prompt: Prompt) {
    return this.inner.complete(prompt);
  }
  async stream(prompt: Prompt, signal: AbortSignal): Promise<AnswerStream> {
    const pieces = await this.inner.stream(prompt, signal);
    const gate = this.gate;
    return (async function* () {
      let first = true;
      for (;;) {
        const next = await pieces.next();
        if (next.done) return next.value;
        yield next.value;
        if (first && gate) await gate;
        first = false;
      }
    })();
  }
}

type Category = { id: string; name: string };
type Stats = { total: number; results: { category: Category | null; count: number }[] };
type Series = { results: { total: number; categories: { category: Category | null; count: number }[] }[] };
type ThreadDetail = {
  id: string;
  category: Category | null;
  category_source: string | null;
  question_answers: { answer: string; relevant_sources: { title: string; url: string | null }[] }[];
};
type Source = { id: string; name: string; status: string; documents: { indexed: number } };

const llm = new HeldStream();
const c = await startConsole(t, { llm });

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
for (const question of questions) await c.projectApi('/chat', 'POST', { question });
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

t.test('a thread relabelled in the console is relabelled in the API; the list filters by who labelled', async (t) => {
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
  await screenshots(t, page, 'thread');

  await page.getByRole('link', { name: 'Back to threads' }).click();
  await page.getByLabel('Labelled by').selectOption({ label: 'User' });
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await waitFor('the list filtered to the threads a person labelled', async () => {
    const shown = await tableRows(page, 'Threads, newest first');
    return shown.length === 1 && shown[0][0] === question && shown[0][1] === 'Billing';
  });
  t.same(faults, []);
});

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

t.test('a files source added in the console becomes ready with its document indexed', async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await open(page, c, '#/p/sources', 'Knowledge sources');
  await page.getByLabel('Files source name').fill('Handbook');
  await page.getByRole('button', { name: 'Add files source' }).click();
  await page.getByRole('heading', { level: 1, name: 'Source', exact: true }).waitFor();
  const sourceId = page.url().split('/').at(-1)!;

  await page.getByLabel('Path').fill('guide/install.md');
  await page.getByLabel('Title').fill('Installing the CLI');
  await page.getByLabel('Link for citations').fill('https://docs.example.com/install');
  await page
    .getByLabel('Content')
    .fill('# Installing the CLI\n\nOn Linux, install the CLI with the package manager: apt install acme-cli.');
  await page.getByRole('button', { name: 'Add document' }).click();

  // The worker indexes it; the page, polling, shows the document indexed and the source ready.
  await waitFor(
    'the document shown as indexed',
    async () => {
      const docs = await tableRows(page, 'Documents and why any failed or was skipped');
      return docs.length === 1 && docs[0][1] === 'guide/install.md' && docs[0][2] === 'indexed';
    },
    { timeoutMs: 60_000 },
  );
  await page
    .getByTestId('source-status')
    .filter({ hasText: /^ready$/ })
    .waitFor();
  const source = await c.projectApi<Source>(`/sources/${sourceId}`);
  t.equal(source.status, 'ready', 'the API has it ready');
  t.equal(source.documents.indexed, 1, 'with its document indexed');
  await screenshots(t, page, 'source');

  await page.getByRole('link', { name: 'Back to knowledge sources' }).click();
  const sources = await tableRows(page, 'Sources');
  t.same(
    sources.map((r) => [r[0], r[1], r[2]]),
    [['Handbook', 'files', 'ready']],
    'the list shows it ready',
  );
  await screenshots(t, page, 'sources');
  t.same(faults, []);
});

t.test('try it: the answer streams in, then its sources; it is the answer the API stored', async (t) => {
  // A document of its own, so this test does not lean on the one before.
  const source = await c.projectApi<Source>('/sources', 'POST', { type: 'files', name: 'Releases' });
  await c.projectApi(`/sources/${source.id}/documents`, 'PUT', {
    path: 'releases.md',
    content_type: 'text/markdown',
    title: 'Release notes',
    url: 'https://docs.example.com/releases',
    content: '# Release notes\n\nVersion 3 of the CLI adds offline mode. Upgrade with acme upgrade.',
  });
  await waitFor('the document indexed', async () => {
    const s = await c.projectApi<Source>(`/sources/${source.id}`);
    return s.status === 'ready' && s.documents.indexed === 1;
  });

  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await open(page, c, '#/p/chat', 'Try it');
  llm.hold();
  t.teardown(() => llm.release());
  await page.getByLabel('Question').fill('What does version 3 of the CLI add?');
  await page.getByRole('button', { name: 'Ask' }).click();

  // The first piece is on the page while the server still holds the rest: it was streamed, not waited for.
  const answer = page.getByTestId('chat-answer');
  const partial = await waitFor('the first piece of the answer', async () => {
    const text = (await answer.innerText()).trim();
    return text !== '' && text !== '…' && text;
  });
  t.ok(await page.getByRole('button', { name: 'Ask' }).isDisabled(), 'the answer is still coming');
  t.equal(await page.getByRole('list', { name: 'Sources' }).count(), 0, 'no sources before the answer is done');
  llm.release();

  const sources = page.getByRole('list', { name: 'Sources' });
  await sources.waitFor();
  const link = sources.getByRole('link', { name: 'Release notes' });
  t.equal(await link.getAttribute('href'), 'https://docs.example.com/releases', 'the source is cited with its link');
  const full = (await answer.innerText()).trim();
  t.ok(full.startsWith(partial) && full.length > partial.length, 'the answer grew from its first piece');

  await page.getByRole('link', { name: /^[0-9a-f-]{36}$/ }).waitFor();
  const threadId = (await page.getByRole('link', { name: /^[0-9a-f-]{36}$/ }).innerText()).trim();
  const stored = await c.projectApi<ThreadDetail>(`/threads/${threadId}/`);
  t.equal(stored.question_answers[0].answer, full, 'the page shows the answer the API stored');
  t.same(stored.question_answers[0].relevant_sources, [
    { title: 'Release notes', url: 'https://docs.example.com/releases' },
  ]);
  await screenshots(t, page, 'chat');
  t.same(faults, []);
});

t.test('the other pages open with their heading and no error', async (t) => {
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  for (const [route, heading, name] of [
    ['#/p/search', 'Search', 'search'],
    ['#/p/webhooks', 'Webhooks', 'webhooks'],
    ['#/p/export', 'Export', 'export'],
  ]) {
    await open(page, c, route, heading);
    await page.waitForFunction(() => !document.querySelector('[aria-busy="true"]'));
    t.equal(await page.getByRole('alert').count(), 0, `${heading}: no error shown`);
    await screenshots(t, page, name);
  }
  t.same(faults, []);
});
