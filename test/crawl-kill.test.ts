// A worker killed mid-crawl: a real worker process crawls a site whose pages are slow to answer and is killed
// with SIGKILL after some pages are indexed and before others are; a new worker releases the dead one's jobs
// and finishes the crawl. Every page ends indexed exactly once: one set of chunks each, none lost, and the
// pages indexed before the kill neither fetched nor indexed again.
import { sql } from 'drizzle-orm';
import t from 'tap';
import { closeDb, createDb, rows, type Db } from '../src/db/client.js';
import { createSource } from '../src/db/queries/sources.js';
import { docsSite, htmlPage } from './docs-site.js';
import { projectWithKey } from './factories.js';
import { testDatabase, waitFor } from './helper.js';
import { startService } from './processes.js';

const SECTIONS = 10;
const PAGES_PER_SECTION = 10;
const ALL = 1 + SECTIONS + SECTIONS * PAGES_PER_SECTION;
const DELAY_MS = 150;

/** An index linking ten sections, each linking ten pages; every page answers after DELAY_MS. */
function slowSite() {
  const sections = Array.from({ length: SECTIONS }, (_, i) => `s${i}/`);
  const pages: Record<string, { body: string; delayMs: number }> = {
    '/docs/': { body: htmlPage('Index', 'The index of the manual.', sections), delayMs: DELAY_MS },
  };
  for (let i = 0; i < SECTIONS; i++) {
    const leaves = Array.from({ length: PAGES_PER_SECTION }, (_, j) => `p${j}.html`);
    pages[`/docs/s${i}/`] = {
      body: htmlPage(`Section ${i}`, `Section ${i} overview.`, [...leaves, '../']),
      delayMs: DELAY_MS,
    };
    for (let j = 0; j < PAGES_PER_SECTION; j++) {
      pages[`/docs/s${i}/p${j}.html`] = {
        body: htmlPage(`Page ${i}.${j}`, `Details of page ${i}.${j}, marmoset.`, ['../', './']),
        delayMs: DELAY_MS,
      };
    }
  }
  return pages;
}

const indexedChunks = async (db: Db, sourceId: string) =>
  new Map(
    (
      await rows<{ path: string; ids: string }>(
        db,
        sql`select d.path, string_agg(c.id::text, ',' order by c.id) as ids
            from documents d join chunks c on c.document_id = d.id
            where d.source_id = ${sourceId} and d.status = 'indexed' group by d.path`,
      )
    ).map((r) => [r.path, r.ids]),
  );

t.test('a worker killed mid-crawl: the next one finishes it, every page indexed once, none lost', async (t) => {
  const url = await testDatabase(t);
  const db = createDb(url, { max: 2 });
  t.teardown(() => closeDb(db));
  const { projectId } = await projectWithKey(db);
  const site = await docsSite(t, slowSite());
  const env = {
    DATABASE_URL: url,
    SOURCES_ALLOW_PRIVATE: 'true',
    CRAWL_CONCURRENCY: '4',
    CRAWL_TIMEOUT_MS: '30000',
    WORKER_DEAD_AFTER_SECONDS: '2',
  };
  const doomed = await startService(t, 'src/worker.ts', env, '/metrics');
  const source = await createSource(db, {
    projectId,
    type: 'website',
    name: 'Manual',
    url: `${site.base}/docs/`,
    include: [],
    exclude: [],
    maxPages: 5000,
    refresh: 'weekly',
  });
  await waitFor(
    'some pages indexed',
    async () => {
      const [r] = await rows<{ n: number }>(
        db,
        sql`select count(*)::int as n from documents where source_id = ${source.id} and status = 'indexed'`,
      );
      return r.n >= 15;
    },
    { timeoutMs: 60_000, everyMs: 10 },
  );
  doomed.child.kill('SIGKILL');
  t.equal((await doomed.exited).signal, 'SIGKILL', 'the worker is killed');
  const requestsAtKill = site.requests.length;
  const before = await indexedChunks(db, source.id);
  t.ok(before.size > 0 && before.size < ALL, `killed with ${before.size} of ${ALL} pages indexed`);

  const survivor = await startService(t, 'src/worker.ts', env, '/metrics');
  await waitFor(
    'the crawl to end',
    async () => (await rows(db, sql`select 1 from sources where id = ${source.id} and status = 'ready'`)).length > 0,
    { timeoutMs: 120_000, everyMs: 100 },
  );
  // The dead worker's lane jobs stay locked until the survivor finds it dead (WORKER_DEAD_AFTER_SECONDS), which
  // may be after the other lanes finished the crawl; released, they find nothing left and end. Everything below
  // is checked once they have run.
  await waitFor(
    'no job of the crawl left',
    async () =>
      (
        await rows(
          db,
          sql`select 1 from graphile_worker._private_jobs where payload->>'source_id' = ${source.id}::text`,
        )
      ).length === 0,
    { timeoutMs: 60_000, everyMs: 100 },
  );

  const docs = await rows<{ path: string; status: string; chunks: number; rows: number }>(
    db,
    sql`select path, status, chunks, (select count(*)::int from chunks c where c.document_id = d.id) as rows
        from documents d where source_id = ${source.id}`,
  );
  t.equal(docs.length, ALL, 'every page reached');
  t.same(
    docs.filter((d) => d.status !== 'indexed' || d.rows === 0 || d.rows !== d.chunks),
    [],
    'every page indexed, its chunks all there and counted',
  );
  t.same(
    await rows(
      db,
      sql`select document_id, position from chunks where source_id = ${source.id}
          group by 1, 2 having count(*) > 1`,
    ),
    [],
    'one set of chunks per page: no position twice',
  );
  const after = await indexedChunks(db, source.id);
  t.same(
    [...before].filter(([path, ids]) => after.get(path) !== ids).map(([path]) => path),
    [],
    'the pages indexed before the kill kept their chunks: not indexed again',
  );
  const later = site.requests.slice(requestsAtKill);
  t.same(
    later.filter((r) => before.has(r.path)).map((r) => r.path),
    [],
    'nor fetched again',
  );
  const perPath = new Map<string, number>();
  for (const r of later) perPath.set(r.path, (perPath.get(r.path) ?? 0) + 1);
  t.same(
    [...perPath].filter(([, n]) => n > 1),
    [],
    'after the kill, each page fetched at most once',
  );
  const [{ n: found }] = await rows<{ n: number }>(
    db,
    sql`select count(distinct document_id)::int as n from chunks
        where project_id = ${projectId} and tsv @@ plainto_tsquery('english', 'marmoset details')`,
  );
  t.equal(found, SECTIONS * PAGES_PER_SECTION, 'every leaf page is searchable');
  survivor.child.kill('SIGTERM');
  t.equal((await survivor.exited).code, 0, 'the survivor stops cleanly');
});
