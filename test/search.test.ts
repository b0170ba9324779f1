// Search over a project's chunks (BM25 in PostgreSQL full-text search), on chunks written directly: the
// ranking, the tenancy and the "nothing relevant" rule, apart from the crawler.
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { closeDb, createDb, rows, type Db } from '../src/db/client.js';
import { createRetriever, searchChunks } from '../src/db/queries/search.js';
import { MAX_CONCEPT_PAGES, recomputeSearchStats } from '../src/db/queries/search-stats.js';
import { projectWithKey } from './factories.js';
import { conceptCorpus } from './concept-corpus.js';
import { testDatabase } from './helper.js';

/** The test's own database (closed at its end), with a project in it. */
async function withProject(t: Test, max = 2) {
  const db = createDb(await testDatabase(t), { max });
  t.teardown(() => closeDb(db));
  return { db, ...(await projectWithKey(db)) };
}

type Page = { title: string; sections: { section: string; body: string }[] };

async function filesSource(db: Db, projectId: string, pages: Page[]) {
  const [source] = await rows<{ id: string }>(
    db,
    sql`insert into sources (project_id, type, name, status) values (${projectId}, 'files', 'docs', 'ready') returning id`,
  );
  const documents: Record<string, string> = {};
  for (const [i, page] of pages.entries()) {
    const [doc] = await rows<{ id: string }>(
      db,
      sql`insert into documents (source_id, project_id, path, url, title, status, chunks)
          values (${source.id}, ${projectId}, ${`page-${i}.md`}, ${`https://docs.test/page-${i}`}, ${page.title},
            'indexed', ${page.sections.length}) returning id`,
    );
    documents[page.title] = doc.id;
    for (const [position, s] of page.sections.entries()) {
      await rows(
        db,
        sql`insert into chunks (project_id, source_id, document_id, position, title, section, url, body)
            values (${projectId}, ${source.id}, ${doc.id}, ${position}, ${page.title}, ${s.section},
              ${`https://docs.test/page-${i}#s${position}`}, ${s.body})`,
      );
    }
  }
  await recomputeSearchStats(db, projectId);
  return { sourceId: source.id, documents };
}

// Many pages talk of files and Python; one of asyncio. A question naming both must find the rare one first.
const filler = Array.from({ length: 30 }, (_, i) => ({
  title: `Working with files ${i}`,
  sections: [{ section: 'Files', body: `Python reads and writes files. Open a file with open(); file number ${i}.` }],
}));
const pages: Page[] = [
  ...filler,
  {
    title: 'Event loop',
    sections: [
      { section: 'Coroutines', body: 'asyncio runs coroutines concurrently on an event loop; await suspends one.' },
      { section: 'Tasks', body: 'Create tasks with asyncio.create_task to run coroutines at the same time.' },
      { section: 'Queues', body: 'asyncio queues pass work between coroutines.' },
    ],
  },
  {
    title: 'Directories',
    sections: [{ section: 'Removing', body: 'shutil.rmtree erases a directory tree.' }],
  },
  {
    title: 'Installing packages',
    sections: [{ section: 'pip', body: 'Install a package from the index with pip install and a requirements file.' }],
  },
];

t.test(
  'BM25: rare words count for more; partial, stemmed questions match; one hit per document; synonyms',
  async (t) => {
    const { db, projectId } = await withProject(t);
    const { documents } = await filesSource(db, projectId, pages);

    const rare = await searchChunks(db, { projectId, query: 'python files asyncio', limit: 5 });
    t.equal(rare[0].title, 'Event loop', 'the chunk with the rare word first, though every other one has two words');

    const stemmed = await searchChunks(db, { projectId, query: 'How do I installing my packages?', limit: 5 });
    t.equal(stemmed[0].documentId, documents['Installing packages'], 'stemming and stop words: install ~ installing');

    const partial = await searchChunks(db, { projectId, query: 'run several coroutines with asyncio tasks', limit: 5 });
    t.equal(partial[0].section, 'Tasks', 'a question sharing only some words still finds its section');

    const perDocument = await searchChunks(db, { projectId, query: 'asyncio coroutines', limit: 10 });
    const fromLoop = perDocument.filter((h) => h.documentId === documents['Event loop']);
    t.equal(fromLoop.length, 1, 'three chunks of the page match, its best one is returned: the results are pages');
    t.ok(
      perDocument.every((h, i) => i === 0 || perDocument[i - 1].score >= h.score),
      'best first',
    );
    t.match(
      rare[0],
      { url: /^https:\/\/docs\.test\/page-\d+#s\d$/, snippet: /asyncio/ },
      'with its anchor and snippet',
    );
    t.notMatch(rare[0].snippet, /</, 'a snippet is plain text, no markup');

    const synonym = await searchChunks(db, { projectId, query: 'how do I erase a folder?', limit: 5 });
    t.equal(synonym[0]?.documentId, documents['Directories'], 'a folder is what the documentation calls a directory');

    t.same(await searchChunks(db, { projectId, query: 'the of and', limit: 5 }), [], 'stop words alone match nothing');
    t.same(await searchChunks(db, { projectId, query: 'chocolate cake recipe', limit: 5 }), [], 'unknown words');
  },
);

t.test('a page that matches in several sections ranks above one section that matches a little better', async (t) => {
  const { db, projectId } = await withProject(t);
  const { documents } = await filesSource(db, projectId, [
    ...filler,
    { title: 'In passing', sections: [{ section: 'Python', body: 'Python can also write an archive.' }] },
    {
      title: 'Bundles',
      sections: [
        { section: 'Writing', body: 'Write an archive with a few lines.' },
        { section: 'Reading', body: 'Read an archive back member by member.' },
        { section: 'Listing', body: 'List what an archive holds.' },
      ],
    },
  ]);
  const hits = await searchChunks(db, { projectId, query: 'python archive', limit: 5 });
  // Each of its sections alone scores a little lower ("python" is in every filler page, so it adds little).
  t.same(
    hits.slice(0, 2).map((h) => h.documentId),
    [documents['Bundles'], documents['In passing']],
    'the page about archives first, then the one that mentions them beside a common word',
  );
  t.equal(hits.filter((h) => h.documentId === documents['Bundles']).length, 1, 'once, with its best section');
});

t.test('the retriever: nothing relevant is no chunk; projects never see each other; deletion is at once', async (t) => {
  const { db, ...a } = await withProject(t);
  const b = await projectWithKey(db);
  const { sourceId } = await filesSource(db, a.projectId, pages);
  await filesSource(db, b.projectId, [
    { title: 'Secret', sections: [{ section: 'B', body: 'How asyncio tasks work in project B' }] },
  ]);
  const retriever = createRetriever(db);

  const found = await retriever.retrieve(a.projectId, 'how do asyncio tasks work?');
  t.ok(found.length > 0 && found.every((c) => c.title !== 'Secret'), "A's question finds A's chunks only");
  const inB = await retriever.retrieve(b.projectId, 'how do asyncio tasks work?');
  t.same(
    inB.map((c) => c.title),
    ['Secret'],
    "B's finds B's only",
  );

  t.same(
    await retriever.retrieve(a.projectId, 'what is the weather forecast for Paris tomorrow with python'),
    [],
    'a question the documentation does not cover retrieves nothing, though one of its words is everywhere',
  );

  await rows(db, sql`update sources set deleted_at = now() where id = ${sourceId}`);
  t.same(await retriever.retrieve(a.projectId, 'asyncio tasks'), [], "a deleted source's chunks leave search at once");
});

// A stats job running when its project's chunks change again is not merged with the next one (graphile-worker
// adds a new job beside a locked one): two recomputations of one project can overlap.
t.test('recomputations of one project at the same time all succeed, with the same statistics', async (t) => {
  const { db, projectId } = await withProject(t, 6);
  await filesSource(db, projectId, pages);
  const stats = () =>
    rows<{ n: number; df: number }>(
      db,
      sql`select count(*)::int as n, sum(df)::int as df from search_terms where project_id = ${projectId}`,
    );
  const before = await stats();
  const results = await Promise.allSettled(Array.from({ length: 5 }, () => recomputeSearchStats(db, projectId)));
  t.same(
    results.flatMap((r) => (r.status === 'rejected' ? [String((r.reason as Error).cause)] : [])),
    [],
    'none fails',
  );
  t.same(await stats(), before, 'the same terms and frequencies');
});

t.test(
  'a page near the question in concept is found without a word in common; the chat does not take it',
  async (t) => {
    const { db, projectId } = await withProject(t);
    const { pages, answer } = conceptCorpus();
    const { sourceId, documents } = await filesSource(
      db,
      projectId,
      pages.map((p) => ({ title: p.title, sections: [{ section: 'About', body: p.body }] })),
    );
    const topicOf = new Map(pages.map((p) => [documents[p.title], p.topic]));

    const hits = await searchChunks(db, { projectId, query: 'Where is my scratch?', limit: 20 });
    const found = hits.findIndex((h) => h.documentId === documents[answer]);
    t.ok(found >= 0, 'the page that never says "scratch" is found');
    t.equal(hits[found]?.coverage, 0, 'covering none of the question');
    t.ok(
      hits.slice(0, found).every((h) => topicOf.get(h.documentId) === 'temporary'),
      'after pages of its topic only',
    );
    t.ok(
      hits.filter((h) => h.coverage > 0).every((h) => hits.indexOf(h) < found),
      'the pages with the word come first',
    );
    const retrieved = await createRetriever(db).retrieve(projectId, 'Where is my scratch?', 20);
    t.ok(retrieved.length > 0, 'the chat retrieves the pages with the word');
    t.notOk(
      retrieved.some((c) => c.documentId === documents[answer]),
      'and not the one sharing no word with the question',
    );

    await rows(db, sql`update sources set deleted_at = now() where id = ${sourceId}`);
    t.same(
      await searchChunks(db, { projectId, query: 'Where is my scratch?', limit: 20 }),
      [],
      'deleted: found no more',
    );
  },
);

t.test('a page found by concept whose source was just deleted leaves its place to the next page', async (t) => {
  const { db, projectId } = await withProject(t);
  const { pages, answer } = conceptCorpus();
  const asPage = (p: (typeof pages)[number]) => ({ title: p.title, sections: [{ section: 'About', body: p.body }] });
  await filesSource(db, projectId, pages.filter((p) => p.title !== answer).map(asPage));
  const alone = await filesSource(db, projectId, pages.filter((p) => p.title === answer).map(asPage));
  const question = 'Where is my scratch?';
  const before = await searchChunks(db, { projectId, query: question, limit: 20 });
  const found = before.findIndex((h) => h.documentId === alone.documents[answer]);
  t.ok(found >= 0 && found < before.length - 1, 'found by concept, with pages after it');

  // Deleted, its page's vector stays until the statistics are recomputed: the word ranking leaves it out at once,
  // the concept ranking still brings it.
  await rows(db, sql`update sources set deleted_at = now() where id = ${alone.sourceId}`);
  const limit = found + 1;
  const after = await searchChunks(db, { projectId, query: question, limit });
  t.same(
    after.map((h) => h.documentId),
    before
      .filter((h) => h.documentId !== alone.documents[answer])
      .slice(0, limit)
      .map((h) => h.documentId),
    'as many results as asked for, the next page in its place',
  );
});

t.test('a project of more pages than concepts are computed for ranks by words alone', async (t) => {
  const { db, projectId } = await withProject(t);
  const { sourceId } = await filesSource(db, projectId, pages);
  const concepts = async () =>
    (
      await rows<{ n: number }>(db, sql`select count(*)::int as n from page_concepts where project_id = ${projectId}`)
    )[0].n;
  t.ok((await concepts()) > 0, 'a small project has its concepts');
  // One more page than the limit, each a chunk of its own.
  await rows(
    db,
    sql`with d as (
          insert into documents (source_id, project_id, path, url, title, status, chunks)
          select ${sourceId}, ${projectId}, 'many-' || i, 'https://docs.test/many-' || i, 'Page ' || i, 'indexed', 1
          from generate_series(1, ${MAX_CONCEPT_PAGES + 1 - pages.length}::int) i
          returning id, title
        )
        insert into chunks (project_id, source_id, document_id, position, title, section, url, body)
        select ${projectId}, ${sourceId}, d.id, 0, d.title, 'About', null, 'filler words about nothing much'
        from d`,
  );
  await recomputeSearchStats(db, projectId);
  t.equal(await concepts(), 0, 'none past the limit');
  const hits = await searchChunks(db, { projectId, query: 'asyncio tasks', limit: 5 });
  t.equal(hits[0]?.section, 'Tasks', 'search still finds by words');
});
