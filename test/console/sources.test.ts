// Knowledge sources and the try-it chat in Chromium, through the real server and its worker: a files source added
// on its page becomes ready once the worker has indexed its document, the search finds what it holds, and a
// question asked in the console streams its answer and then shows the sources the API stored with it.
import t from 'tap';
import { StaticLlm, type AnswerStream, type LlmClient, type Prompt } from '../../src/models/llm.js';
import { docsSite, htmlPage } from '../docs-site.js';
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

type ThreadDetail = {
  question_answers: { answer: string; relevant_sources: { title: string; url: string | null }[] }[];
};
type Source = { id: string; name: string; status: string; documents: { indexed: number } };

const llm = new HeldStream();
const c = await startConsole(t, { llm, env: { SOURCES_ALLOW_PRIVATE: 'true' } });

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

t.test(
  'a website crawled from the console: its progress while it runs, then each page with why one failed',
  async (t) => {
    const site = await docsSite(t, {
      '/docs/': htmlPage('Docs home', 'Welcome to the Acme docs.', ['/docs/setup', '/docs/gone']),
      '/docs/setup': htmlPage('Setup', 'Run acme init to set up a project.'),
    });
    const tab = await newTab(c);
    t.teardown(tab.close);
    const { page, faults } = tab;
    await signInProject(page, c);
    await open(page, c, '#/p/sources', 'Knowledge sources');
    await page.getByLabel('Website name').fill('Acme docs');
    await page.getByLabel('Start URL').fill(`${site.base}/docs/`);
    // One page is held unanswered: the crawl cannot end before the test has seen it under way.
    site.hold((path) => path === '/docs/gone');
    t.teardown(() => site.release());
    await page.getByRole('button', { name: 'Add website' }).click();

    // The list polls while the crawl runs: two of its three pages done, then ready with one failed.
    await waitFor(
      'the crawl shown under way',
      async () => {
        const row = (await tableRows(page, 'Sources')).find((r) => r[0] === 'Acme docs');
        return row?.[2] === 'running' && row[3] === 'Documents done: 2 of 3 (66%)';
      },
      { timeoutMs: 60_000 },
    );
    site.release();
    await waitFor(
      'the website shown as crawled',
      async () => {
        const row = (await tableRows(page, 'Sources')).find((r) => r[0] === 'Acme docs');
        return row?.[2] === 'ready' && row;
      },
      { timeoutMs: 60_000 },
    );
    const row = (await tableRows(page, 'Sources')).find((r) => r[0] === 'Acme docs')!;
    t.same([row[1], row[4]], ['website', '1'], 'a website, one page failed');
    await page.getByRole('link', { name: 'Acme docs' }).click();
    await page.getByRole('heading', { level: 1, name: 'Source', exact: true }).waitFor();
    const sourceId = page.url().split('/').at(-1)!;
    // Every page dealt with (the page shows it once the source is loaded).
    await page.getByText('Pages done: 3 of 3 (100%)').waitFor();
    type Docs = { results: { path: string; status: string; reason: string | null }[] };
    const api = await c.projectApi<Docs>(`/sources/${sourceId}/documents`);
    const shown = await tableRows(page, 'Documents and why any failed or was skipped');
    t.same(
      shown.map((r) => [r[1], r[2], r[3]]).sort(),
      api.results.map((d) => [d.path, d.status, d.reason ?? '']).sort(),
      "each page with its status and the API's reason",
    );
    t.ok(
      api.results.some((d) => d.path === '/docs/gone' && d.status === 'failed' && d.reason),
      'the missing page failed, with a reason',
    );
    await screenshots(t, page, 'source-website');
    t.same(faults, []);
  },
);

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

t.test("the search box shows the API's best sections for a query", async (t) => {
  // The documents of the tests above are indexed by now.
  type Found = { results: { title: string; section: string; snippet: string }[] };
  const api = await c.projectApi<Found>('/search?query=offline%20mode&limit=10');
  t.ok(api.results.length > 0, 'the API finds the release notes');
  const tab = await newTab(c);
  t.teardown(tab.close);
  const { page, faults } = tab;
  await signInProject(page, c);
  await open(page, c, '#/p/search', 'Search');
  await page.getByLabel('Search the sources').fill('offline mode');
  await page.getByRole('button', { name: 'Search', exact: true }).click();
  const shown = await tableRows(page, 'Best matching sections, best first');
  t.same(
    shown.map((r) => [r[0].split('\n')[0].trim(), r[1], r[2]]),
    api.results.map((r) => [r.title, r.section, r.snippet]),
    'the same sections in the same order, with their passages',
  );
  await screenshots(t, page, 'search');
  t.same(faults, []);
});
