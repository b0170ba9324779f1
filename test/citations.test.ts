// Answers built from a project's documentation cite it: through the app and PostgreSQL, on a files source whose
// documents and chunks are written directly (search statistics recomputed as the worker would), the chat's
// answers, their relevant_sources on every surface, the "not covered" answer, tenancy, and the provider's prompt.
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import type { Static } from '@sinclair/typebox';
import { rows, type Db } from '../src/db/client.js';
import { createRetriever } from '../src/db/queries/search.js';
import { recomputeSearchStats } from '../src/db/queries/search-stats.js';
import { NOT_COVERED } from '../src/models/llm.js';
import type { ExportThread, ThreadDetail } from '../src/schemas/threads.js';
import { build } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import { fakeProvider } from './fake-openai.js';

type Detail = Static<typeof ThreadDetail>;
type Source = { title: string; url: string | null };
type Answer = { answer: string; thread_id: string; question_answer_id: string; relevant_sources: Source[] };
type Doc = { title: string; url: string | null; sections: { section: string; anchor?: string; body: string }[] };

/** A files source of the project holding these documents, indexed, with the project's search statistics. */
async function filesSource(db: Db, projectId: string, docs: Doc[]) {
  const [source] = await rows<{ id: string }>(
    db,
    sql`insert into sources (project_id, type, name, status) values (${projectId}, 'files', 'docs', 'ready') returning id`,
  );
  for (const [i, doc] of docs.entries()) {
    const [row] = await rows<{ id: string }>(
      db,
      sql`insert into documents (source_id, project_id, path, url, title, status, chunks)
          values (${source.id}, ${projectId}, ${`doc-${i}.md`}, ${doc.url}, ${doc.title}, 'indexed',
            ${doc.sections.length}) returning id`,
    );
    for (const [position, s] of doc.sections.entries()) {
      const url = doc.url && s.anchor ? `${doc.url}#${s.anchor}` : doc.url;
      await rows(
        db,
        sql`insert into chunks (project_id, source_id, document_id, position, title, section, url, body)
            values (${projectId}, ${source.id}, ${row.id}, ${position}, ${doc.title}, ${s.section}, ${url}, ${s.body})`,
      );
    }
  }
  await recomputeSearchStats(db, projectId);
}

const INSTALL_BODY =
  'Install the CLI with pip install acmecli. It needs Python 3.11 or newer. ' +
  'Logs go to the terminal. Upgrade the CLI later with pip install --upgrade acmecli.';

const docs: Doc[] = [
  {
    title: 'Installing the CLI',
    url: 'https://docs.test/install',
    sections: [
      { section: 'With pip', anchor: 'pip', body: INSTALL_BODY },
      {
        section: 'From source',
        anchor: 'source',
        body: 'Clone the repository, then install the CLI with pip install -e .',
      },
    ],
  },
  {
    title: 'Configuration',
    url: 'https://docs.test/config',
    sections: [
      { section: 'Files', anchor: 'files', body: 'The CLI reads acmecli.toml from the working directory.' },
      { section: 'Proxy', anchor: 'proxy', body: 'Behind a proxy, set HTTPS_PROXY before running pip or the CLI.' },
    ],
  },
  { title: 'notes.txt', url: null, sections: [{ section: '', body: 'Release notes: tokens now expire after a day.' }] },
  ...['Bookmarks', 'Themes', 'Keyboard shortcuts'].map((title, i) => ({
    title,
    url: `https://docs.test/other-${i}`,
    sections: [{ section: title, body: `${title} are managed in the settings page of the web console.` }],
  })),
];

const COVERED = 'How do I install the CLI with pip?';
const NOT_COVERED_QUESTION = 'What is the weather forecast for Paris?';

async function setup(t: Test, env: Record<string, string> = {}) {
  const ctx = await build(t, { env });
  const a = await projectWithKey(ctx.db);
  const b = await projectWithKey(ctx.db);
  await filesSource(ctx.db, a.projectId, docs);
  const apiA = projectClient(ctx.app, a.projectId, a.key);
  const apiB = projectClient(ctx.app, b.projectId, b.key);
  /** The sources the chat must cite for a question: the retrieved chunks' distinct documents, in their order. */
  const expected = async (question: string) => {
    const chunks = await createRetriever(ctx.db).retrieve(a.projectId, question);
    const titles = new Map(chunks.map((c) => [c.documentId, c.title]));
    return { chunks, titles: [...titles.values()] };
  };
  return { ...ctx, a, b, apiA, apiB, expected };
}

const chat = async (api: ReturnType<typeof projectClient>, question: string, threadId?: string) => {
  const res = await api.post('/chat', threadId ? { question, thread_id: threadId } : { question });
  if (res.statusCode !== 200) throw new Error(`chat failed: ${res.statusCode} ${res.body}`);
  return res.json<Answer>();
};

/** The done event of a streamed answer. */
const streamed = async (api: ReturnType<typeof projectClient>, body: object) => {
  const res = await api.post('/chat/stream', body);
  const done = res.body
    .split('\n\n')
    .find((block) => block.startsWith('event: done\n'))
    ?.split('\ndata: ')[1];
  if (!done) throw new Error(`no done event: ${res.body}`);
  return JSON.parse(done) as Answer;
};

t.test(
  'a covered question: an extractive answer from the best chunk, citing its documents on every surface',
  async (t) => {
    const { db, apiA, expected } = await setup(t);
    const { chunks, titles } = await expected(COVERED);
    t.equal(chunks[0].body, INSTALL_BODY, 'the fixture: the pip section is the best chunk');
    t.ok(chunks.length >= 2, 'and more than one chunk goes into the prompt');

    const first = await chat(apiA, COVERED);
    t.equal(
      first.answer,
      'Install the CLI with pip install acmecli. Upgrade the CLI later with pip install --upgrade acmecli.',
      "the best chunk's sentences sharing the question's words, in their order",
    );
    t.equal(first.relevant_sources[0].title, 'Installing the CLI', 'best first');
    t.equal(first.relevant_sources[0].url, 'https://docs.test/install', "the document's URL, without the anchor");
    t.same(
      first.relevant_sources.map((s) => s.title),
      titles,
      "the distinct documents of the prompt's chunks, in their order",
    );
    t.equal(new Set(titles).size, titles.length, 'each document once');

    // A follow-up, streamed: the done event cites the follow-up's own documents.
    const proxy = 'How do I use pip behind a HTTPS proxy?';
    const followUp = await streamed(apiA, { question: proxy, thread_id: first.thread_id });
    t.equal(followUp.thread_id, first.thread_id);
    t.equal(followUp.answer, 'Behind a proxy, set HTTPS_PROXY before running pip or the CLI.');
    t.same(followUp.relevant_sources[0], { title: 'Configuration', url: 'https://docs.test/config' });
    t.same(
      followUp.relevant_sources.map((s) => s.title),
      (await expected(proxy)).titles,
    );

    // A follow-up the documentation does not cover.
    const uncovered = await chat(apiA, NOT_COVERED_QUESTION, first.thread_id);
    t.equal(uncovered.answer, NOT_COVERED);
    t.same(uncovered.relevant_sources, []);

    const detail = (await apiA.get(`/threads/${first.thread_id}/`)).json<Detail>();
    t.same(
      detail.question_answers.map((qa) => [qa.id, qa.answer, qa.relevant_sources]),
      [first, followUp, uncovered].map((x) => [x.question_answer_id, x.answer, x.relevant_sources]),
      'the thread detail shows what each answer cited',
    );

    const exported = (await apiA.get('/threads/export?format=ndjson')).body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Static<typeof ExportThread>);
    t.same(
      exported[0].question_answers.map((qa) => qa.relevant_sources),
      [first, followUp, uncovered].map((x) => x.relevant_sources),
      'and so does the NDJSON export',
    );

    // An answer stored before sources were cited shows none.
    await rows(db, sql`update question_answers set relevant_sources = null where id = ${first.question_answer_id}`);
    const old = (await apiA.get(`/threads/${first.thread_id}/`)).json<Detail>().question_answers[0];
    t.same(old.relevant_sources, []);
    const oldExported = JSON.parse((await apiA.get('/threads/export?format=ndjson')).body.split('\n')[0]) as Detail;
    t.same(oldExported.question_answers[0].relevant_sources, []);
  },
);

t.test('a file uploaded without a URL is cited with a null URL', async (t) => {
  const { apiA } = await setup(t);
  const res = await chat(apiA, 'When do tokens expire now?');
  t.equal(res.answer, 'Release notes: tokens now expire after a day.');
  t.same(res.relevant_sources, [{ title: 'notes.txt', url: null }]);
});

t.test('at most five sources, when more documents are relevant', async (t) => {
  const { db, a, apiA } = await setup(t);
  await filesSource(
    db,
    a.projectId,
    Array.from({ length: 7 }, (_, i) => ({
      title: `Webhook guide ${i}`,
      url: `https://docs.test/webhooks-${i}`,
      sections: [{ section: 'Retries', body: `Webhook deliveries are retried with backoff (guide ${i}).` }],
    })),
  );
  const res = await chat(apiA, 'How are webhook deliveries retried?');
  t.equal(res.relevant_sources.length, 5);
  t.ok(
    res.relevant_sources.every((s) => /^Webhook guide \d$/.test(s.title)),
    'all webhook guides',
  );
  t.equal(new Set(res.relevant_sources.map((s) => s.url)).size, 5, 'five distinct documents');
});

t.test('nothing relevant, or no sources at all: the answer says so and cites nothing', async (t) => {
  const { apiA, apiB } = await setup(t);
  const uncovered = await chat(apiA, NOT_COVERED_QUESTION);
  t.equal(uncovered.answer, NOT_COVERED);
  t.same(uncovered.relevant_sources, []);

  // B has no sources: A's documentation never answers B's questions.
  const inB = await chat(apiB, COVERED);
  t.equal(inB.answer, NOT_COVERED);
  t.same(inB.relevant_sources, []);
  const streamedInB = await streamed(apiB, { question: COVERED });
  t.equal(streamedInB.answer, NOT_COVERED);
  t.same(streamedInB.relevant_sources, []);
  const detail = (await apiB.get(`/threads/${inB.thread_id}/`)).json<Detail>();
  t.same(detail.question_answers[0].relevant_sources, []);
});

t.test('a provider receives the numbered chunks in its prompt; the answer cites their documents', async (t) => {
  const fake = await fakeProvider(t);
  const { apiA, apiB, expected } = await setup(t, {
    MODEL_PROVIDER: 'openai',
    OPENAI_BASE_URL: fake.baseURL,
    LLM_MODEL: 'fake-llm',
    MODEL_TIMEOUT_MS: '5000',
  });
  const { chunks, titles } = await expected(COVERED);
  const res = await chat(apiA, COVERED);
  t.equal(res.answer, `Fake answer to: ${COVERED}`, "the provider's answer");
  t.same(
    res.relevant_sources.map((s) => s.title),
    titles,
  );

  const [system, question] = fake.requests[0].body.messages;
  t.same(question, { role: 'user', content: COVERED });
  t.equal(system.role, 'system');
  t.match(system.content, /answer the question using only the numbered documentation excerpts/i);
  t.ok(
    system.content.includes(
      `[1] Installing the CLI\nSection: With pip\nURL: https://docs.test/install#pip\n${INSTALL_BODY}\n\n[2] `,
    ),
    'the best chunk numbered first, with its title, section, URL and text',
  );
  t.same(
    [...system.content.matchAll(/^\[(\d)\] (.*)$/gm)].map((m) => [Number(m[1]), m[2]]),
    chunks.map((c, i) => [i + 1, c.title]),
    'every retrieved chunk, numbered in order',
  );

  // Nothing relevant (B has no sources): the prompt says so, and the answer cites nothing.
  const inB = await chat(apiB, COVERED);
  t.same(inB.relevant_sources, []);
  t.match(fake.requests[1].body.messages[0].content, /Documentation excerpts: none/);
  t.notMatch(fake.requests[1].body.messages[0].content, /Installing the CLI/, "none of A's documentation");
});
