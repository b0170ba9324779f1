// Crawling and indexing end to end: a real documentation site on 127.0.0.1, website sources created as the API
// creates them, and the jobs run by a real worker. What a crawl records per page (indexed, skipped or failed
// with its reason), what search finds, what a refresh re-indexes (only what changed: 304s and hashes), and a
// crawl stopped by its source's deletion.
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config.js';
import { closeDb, createDb, rows, type Db } from '../src/db/client.js';
import { startCrawl } from '../src/db/queries/crawl.js';
import { retireProjects } from '../src/db/queries/purge.js';
import { putDocument } from '../src/db/queries/documents.js';
import { createSource, deleteSource } from '../src/db/queries/sources.js';
import { startWorker } from '../src/worker.js';
import { docsSite, htmlPage } from './docs-site.js';
import { projectWithKey } from './factories.js';
import { testDatabase, waitFor } from './helper.js';

/** A database, a worker running every task against it, and a project. */
async function setup(t: Test, env: Record<string, string> = {}) {
  const url = await testDatabase(t);
  const config = loadConfig({
    DATABASE_URL: url,
    SOURCES_ALLOW_PRIVATE: 'true',
    CRAWL_TIMEOUT_MS: '2000',
    CRAWL_CONCURRENCY: '2',
    CLASSIFIER_LATENCY_MS: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const db = createDb(url, { max: 4 });
  const worker = await startWorker({
    config,
    db,
    log: pino({ level: 'silent' }),
    databaseUrl: url,
  });
  t.teardown(async () => {
    await worker.stop(2000);
    await closeDb(db);
  });
  const { projectId } = await projectWithKey(db);
  return { db, projectId };
}

async function website(db: Db, projectId: string, url: string, opts: { maxPages?: number } = {}) {
  const source = await createSource(db, {
    projectId,
    type: 'website',
    name: 'Acme docs',
    url,
    include: [],
    exclude: [],
    maxPages: opts.maxPages ?? 5000,
    refresh: 'weekly',
  });
  return source.id;
}

type Doc = { path: string; status: string; reason: string | null; chunks: number; rows: number };
const documents = async (db: Db, sourceId: string): Promise<Record<string, Doc>> =>
  Object.fromEntries(
    (
      await rows<Doc>(
        db,
        sql`select path, status, reason, chunks,
              (select count(*)::int from chunks c where c.document_id = d.id) as rows
            from documents d where source_id = ${sourceId}`,
      )
    ).map((d) => [d.path, d]),
  );

/** Whether the source's current crawl has ended. */
const crawled = async (db: Db, sourceId: string) =>
  (
    await rows(
      db,
      sql`select 1 from sources where id = ${sourceId} and status in ('ready', 'failed')
          and last_refreshed_at >= crawl_started_at`,
    )
  ).length > 0;

/** The paths of the project's documents whose chunks match `words` (a plain full-text query). */
const found = async (db: Db, projectId: string, words: string) =>
  (
    await rows<{ path: string }>(
      db,
      sql`select distinct d.path from chunks c join documents d on d.id = c.document_id
          where c.project_id = ${projectId} and c.tsv @@ plainto_tsquery('english', ${words}) order by 1`,
    )
  ).map((r) => r.path);

const chunkIds = async (db: Db, sourceId: string, path: string) =>
  (
    await rows<{ id: number }>(
      db,
      sql`select c.id from chunks c join documents d on d.id = c.document_id
          where d.source_id = ${sourceId} and d.path = ${path} order by c.id`,
    )
  ).map((r) => Number(r.id));

const NAV = [
  'guide.html',
  'api.html',
  'private/secret.html',
  'old.html',
  'hang.html',
  'huge.html',
  'manual.pdf',
  'missing.html',
  'noindex.html',
  'dup.html',
  'v1.html',
  'guide.html#install',
  '/docs/%67uide.html',
  '/blog/post.html',
  'http://example.invalid/docs/',
];
const sitemap = (paths: string[]) =>
  `<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">${paths
    .map((p) => `<url><loc>{base}${p}</loc></url>`)
    .join('')}</urlset>`;

t.test('a crawl of a documentation site, then a refresh that re-indexes only what changed', async (t) => {
  const { db, projectId } = await setup(t);
  const site = await docsSite(t, {
    '/robots.txt': { body: 'User-agent: *\nDisallow: /docs/private/\n', type: 'text/plain' },
    '/sitemap.xml': { body: sitemap(['/docs/orphan.html', '/blog/']), type: 'application/xml' },
    '/docs/': htmlPage('Acme docs', 'Welcome to the Acme command line documentation.', NAV),
    '/docs/guide.html': htmlPage('Guide', 'To frobnicate the widget, run acme frob.', NAV),
    '/docs/api.html': htmlPage('API reference', 'The endpoint returns a wombat.', NAV),
    '/docs/private/secret.html': htmlPage('Secret', 'Nobody should read this pangolin.', NAV),
    '/docs/old.html': { status: 301, headers: { location: '/docs/moved.html' } },
    '/docs/moved.html': htmlPage('Moved', 'The quokka lives here now.', NAV),
    '/docs/hang.html': { hang: true },
    '/docs/huge.html': { body: `<html><body><p>${'big '.repeat(1_600_000)}</p></body></html>` },
    '/docs/manual.pdf': { body: '%PDF-1.4 not a page', type: 'application/pdf' },
    '/docs/noindex.html': htmlPage(
      'Hidden',
      'Not for the index.',
      [...NAV, 'deep.html'],
      '<meta name="robots" content="noindex">',
    ),
    '/docs/deep.html': htmlPage('Deep', 'Only a noindex page links to this axolotl.', NAV),
    '/docs/dup.html': htmlPage('Guide copy', 'A copy.', NAV, '<link rel="canonical" href="{base}/docs/guide.html">'),
    '/docs/v1.html': htmlPage(
      'Version one',
      'The ibex of version one.',
      NAV,
      '<link rel="canonical" href="{base}/latest/v1.html">',
    ),
    '/docs/orphan.html': htmlPage('Orphan', 'Listed in the sitemap alone: zanzibar.', NAV),
    '/blog/post.html': htmlPage('Blog', 'Out of scope.', NAV),
  });
  const sourceId = await website(db, projectId, `${site.base}/docs/`);
  await waitFor('the first crawl to end', () => crawled(db, sourceId), { timeoutMs: 60_000 });

  const docs = await documents(db, sourceId);
  t.same(
    Object.keys(docs).sort(),
    [
      '/docs/',
      '/docs/api.html',
      '/docs/deep.html',
      '/docs/dup.html',
      '/docs/guide.html',
      '/docs/hang.html',
      '/docs/huge.html',
      '/docs/manual.pdf',
      '/docs/missing.html',
      '/docs/moved.html',
      '/docs/noindex.html',
      '/docs/old.html',
      '/docs/orphan.html',
      '/docs/private/secret.html',
      '/docs/v1.html',
    ],
    'one document per in-scope URL (fragments and percent-encoding normalised), out-of-scope links left alone',
  );
  for (const path of [
    '/docs/',
    '/docs/guide.html',
    '/docs/api.html',
    '/docs/moved.html',
    '/docs/deep.html',
    '/docs/orphan.html',
    '/docs/v1.html',
  ]) {
    t.match(docs[path], { status: 'indexed', reason: null }, `${path} indexed`);
    t.ok(docs[path].chunks > 0 && docs[path].chunks === docs[path].rows, `${path}: its chunks, counted`);
  }
  const expected: Record<string, [string, RegExp]> = {
    '/docs/private/secret.html': ['skipped', /^disallowed by robots\.txt$/],
    '/docs/old.html': ['skipped', /^redirected to .*\/docs\/moved\.html$/],
    '/docs/hang.html': ['failed', /timed out/],
    '/docs/huge.html': ['skipped', /too large/],
    '/docs/manual.pdf': ['skipped', /not HTML.*application\/pdf/],
    '/docs/missing.html': ['failed', /^HTTP 404$/],
    '/docs/noindex.html': ['skipped', /^noindex$/],
    '/docs/dup.html': ['skipped', /^duplicate of its canonical URL .*\/docs\/guide\.html$/],
  };
  for (const [path, [status, reason]] of Object.entries(expected)) {
    t.equal(docs[path].status, status, `${path} ${status}`);
    t.match(docs[path].reason, reason, `${path}: ${docs[path].reason}`);
    t.equal(docs[path].rows, 0, `${path} has no chunks`);
  }
  t.equal(site.hits('/docs/private/secret.html'), 0, 'a page robots.txt disallows is never requested');
  t.equal(site.hits('/blog/post.html'), 0, 'nor one out of scope');
  t.equal(site.hits('/docs/guide.html'), 1, 'a page linked many ways is fetched once');

  t.same(await found(db, projectId, 'frobnicate widget'), ['/docs/guide.html'], 'the guide is searchable');
  t.same(await found(db, projectId, 'zanzibar'), ['/docs/orphan.html'], 'a page only the sitemap lists too');
  t.same(await found(db, projectId, 'axolotl'), ['/docs/deep.html'], 'and one linked only from a noindex page');
  t.same(await found(db, projectId, 'pangolin'), [], 'nothing of a disallowed page');
  t.same(
    await found(db, projectId, 'ibex'),
    ['/docs/v1.html'],
    'a page whose canonical URL is out of scope is indexed',
  );
  const [source] = await rows<{ status: string; error: string | null; weekAhead: boolean }>(
    db,
    sql`select status, error, next_refresh_at > now() + interval '6 days' as "weekAhead" from sources where id = ${sourceId}`,
  );
  t.same(
    source,
    { status: 'ready', error: null, weekAhead: true },
    'the source is ready, its next refresh a week ahead',
  );
  await waitFor('the word statistics', async () => {
    const [s] = await rows<{ chunks: number }>(
      db,
      sql`select chunks from search_stats where project_id = ${projectId}`,
    );
    return s && s.chunks > 0;
  });

  // The refresh: the guide changed, the API page is gone (404), the orphan left the sitemap.
  const changed = ['/docs/guide.html', '/docs/api.html', '/docs/orphan.html'];
  const unchanged = Object.values(docs)
    .filter((d) => d.status === 'indexed' && !changed.includes(d.path))
    .map((d) => d.path);
  const before: Record<string, number[]> = {};
  for (const path of unchanged) before[path] = await chunkIds(db, sourceId, path);
  const guideBefore = await chunkIds(db, sourceId, '/docs/guide.html');
  const seen = site.requests.length;
  site.site.set('/docs/guide.html', { body: htmlPage('Guide', 'To frobnicate the gizmo, run acme frob --all.', NAV) });
  site.site.delete('/docs/api.html');
  site.site.set('/sitemap.xml', { body: sitemap([]), type: 'application/xml' });
  await db.transaction((tx) => startCrawl(tx, sourceId));
  await waitFor('the refresh to end', () => crawled(db, sourceId), { timeoutMs: 60_000 });

  const again = site.requests.slice(seen);
  for (const path of unchanged) {
    t.same(await chunkIds(db, sourceId, path), before[path], `${path} unchanged: not re-indexed`);
    t.ok(
      again.some((r) => r.path === path && r.status === 304 && r.conditional),
      `${path}: a conditional request answered 304`,
    );
  }
  const guideAfter = await chunkIds(db, sourceId, '/docs/guide.html');
  t.ok(guideAfter.length > 0 && guideAfter.every((id) => !guideBefore.includes(id)), 'the changed guide re-indexed');
  t.same(await found(db, projectId, 'gizmo'), ['/docs/guide.html'], 'its new text is searchable');
  t.same(await found(db, projectId, 'widget'), [], 'its old text is not');
  const after = await documents(db, sourceId);
  t.match(after['/docs/api.html'], { status: 'failed', reason: 'HTTP 404', rows: 0, chunks: 0 }, 'a gone page fails');
  t.same(await found(db, projectId, 'wombat'), [], 'and leaves the index');
  t.notOk(after['/docs/orphan.html'], 'a page no longer reachable is removed');
  t.same(await found(db, projectId, 'zanzibar'), [], 'with its chunks');
  t.equal(after['/docs/private/secret.html']?.status, 'skipped', 'the disallowed page is still recorded');
});

/** A site of `n` pages linked from its index (each page links back). */
function flatSite(n: number, word: string) {
  const links = Array.from({ length: n }, (_, i) => `page-${i}.html`);
  const pages: Record<string, string> = { '/docs/': htmlPage('Index', `The ${word} index.`, links) };
  for (let i = 0; i < n; i++) pages[`/docs/page-${i}.html`] = htmlPage(`Page ${i}`, `${word} number ${i}.`, ['./']);
  return pages;
}
const pageHits = (site: Awaited<ReturnType<typeof docsSite>>) =>
  site.requests.filter((r) => /\/page-\d+\.html$/.test(r.path)).length;

t.test('max_pages bounds the documents a crawl reaches', async (t) => {
  const { db, projectId } = await setup(t);
  const site = await docsSite(t, flatSite(10, 'lemur'));
  const sourceId = await website(db, projectId, `${site.base}/docs/`, { maxPages: 3 });
  await waitFor('the crawl to end', () => crawled(db, sourceId));
  const docs = Object.values(await documents(db, sourceId));
  t.equal(docs.length, 3, 'three documents');
  t.ok(
    docs.every((d) => d.status === 'indexed'),
    'all indexed',
  );
  t.equal(pageHits(site), 2, 'and only those pages fetched');
});

t.test('two sources crawl at once: a slow site holds only its own CRAWL_CONCURRENCY requests', async (t) => {
  const { db, projectId } = await setup(t, { CRAWL_TIMEOUT_MS: '60000' });
  const slow = await docsSite(t, flatSite(10, 'sloth'));
  const fast = await docsSite(t, flatSite(10, 'cheetah'));
  slow.hold((path) => path.includes('/page-'));
  const slowId = await website(db, projectId, `${slow.base}/docs/`);
  await waitFor('the slow site to hold two requests', () => slow.held() === 2);
  const fastId = await website(db, projectId, `${fast.base}/docs/`);
  await waitFor('the fast crawl to end', () => crawled(db, fastId));
  t.equal(Object.values(await documents(db, fastId)).filter((d) => d.status === 'indexed').length, 11, 'all indexed');
  t.equal(slow.held(), 2, 'meanwhile the slow source has two requests in flight, no more');
  t.notOk(await crawled(db, slowId), 'and is still crawling');
  slow.release();
  await waitFor('the slow crawl to end', () => crawled(db, slowId));
  t.equal(Object.values(await documents(db, slowId)).filter((d) => d.status === 'indexed').length, 11, 'all indexed');
  t.same(await found(db, projectId, 'sloth number 7'), ['/docs/page-7.html'], 'searchable');
});

t.test("a deleted source's crawl stops and its rows are purged", async (t) => {
  const { db, projectId } = await setup(t, { CRAWL_TIMEOUT_MS: '60000' });
  const site = await docsSite(t, flatSite(20, 'narwhal'));
  site.hold((path) => path.includes('/page-'));
  const sourceId = await website(db, projectId, `${site.base}/docs/`);
  await waitFor('two page requests held', () => site.held() === 2);
  t.same(await found(db, projectId, 'narwhal index'), ['/docs/'], 'the index page is indexed');
  t.ok(await deleteSource(db, { projectId, sourceId }), 'deleted');
  site.release();
  await waitFor('the source purged', async () => {
    const left = await rows(db, sql`select 1 from sources where id = ${sourceId}`);
    const jobs = await rows(
      db,
      sql`select 1 from graphile_worker._private_jobs where payload->>'source_id' = ${sourceId}::text`,
    );
    return left.length === 0 && jobs.length === 0;
  });
  t.equal(pageHits(site), 2, 'no page requested after the delete but the two in flight');
  t.same(await rows(db, sql`select 1 from documents where source_id = ${sourceId}`), [], 'its documents gone');
  t.same(await rows(db, sql`select 1 from chunks where source_id = ${sourceId}`), [], 'its chunks gone');
  await waitFor('the statistics recomputed', async () => {
    const [s] = await rows<{ chunks: number }>(
      db,
      sql`select chunks from search_stats where project_id = ${projectId}`,
    );
    return s?.chunks === 0;
  });
});

t.test(
  "uploaded files are indexed, and re-indexed when their content changes; a project's purge removes its sources",
  async (t) => {
    const { db, projectId } = await setup(t);
    const files = await createSource(db, {
      projectId,
      type: 'files',
      name: 'Handbook',
      url: null,
      include: [],
      exclude: [],
      maxPages: 5000,
      refresh: 'never',
    });
    const put = (content: string) =>
      putDocument(db, {
        projectId,
        sourceId: files.id,
        lanes: 2,
        document: { path: 'setup.md', content, contentType: 'text/markdown', title: null, url: null },
      });
    await put('# Setup\n\nInstall the capybara plugin first.\n');
    await waitFor('the file indexed', async () => (await found(db, projectId, 'capybara')).length === 1);
    t.match((await documents(db, files.id))['setup.md'], { status: 'indexed', chunks: 1, rows: 1 }, 'one chunk');
    await put('# Setup\n\nInstall the tapir plugin first.\n');
    await waitFor('the new content indexed', async () => (await found(db, projectId, 'tapir')).length === 1);
    t.same(await found(db, projectId, 'capybara'), [], 'the old content is gone');

    const site = await docsSite(t, flatSite(3, 'ocelot'));
    const sourceId = await website(db, projectId, `${site.base}/docs/`);
    await waitFor('the crawl to end', () => crawled(db, sourceId));
    t.same(await retireProjects(db, { projectId }), [projectId], 'the project deleted');
    await waitFor(
      'the project purged',
      async () => (await rows(db, sql`select 1 from projects where id = ${projectId}`)).length === 0,
    );
    for (const table of ['sources', 'documents', 'chunks']) {
      t.same(
        await rows(db, sql`select 1 from ${sql.identifier(table)} where project_id = ${projectId}`),
        [],
        `${table}: none left`,
      );
    }
  },
);

t.test(
  'a site that cannot be reached fails its source with the reason; the cron task refreshes due sources only',
  async (t) => {
    const { db, projectId } = await setup(t);
    const downId = await website(db, projectId, 'http://127.0.0.1:1/docs/');
    await waitFor('the crawl of the unreachable site to end', () => crawled(db, downId));
    const startedAt = async (id: string) =>
      (await rows<{ at: string }>(db, sql`select crawl_started_at::text as at from sources where id = ${id}`))[0].at;
    const [down] = await rows<{ status: string; error: string }>(
      db,
      sql`select status, error from sources where id = ${downId}`,
    );
    t.equal(down.status, 'failed', 'the source failed');
    t.match(down.error, /^http:\/\/127\.0\.0\.1:1\/docs\/: \w/, `with the start page's reason: ${down.error}`);

    const site = await docsSite(t, flatSite(2, 'gecko'));
    const dueId = await website(db, projectId, `${site.base}/docs/`);
    await waitFor('the first crawl to end', () => crawled(db, dueId));
    const [dueBefore, downBefore] = [await startedAt(dueId), await startedAt(downId)];
    await rows(db, sql`update sources set next_refresh_at = now() - interval '1 minute' where id = ${dueId}`);
    await rows(db, sql`select graphile_worker.add_job('sources__refresh_due', '{}'::json)`);
    await waitFor('the due source refreshed', async () => (await startedAt(dueId)) !== dueBefore && crawled(db, dueId));
    t.ok(site.hits('/docs/', 304) > 0, 'it was crawled again');
    t.equal(await startedAt(downId), downBefore, 'a source not due was left alone');

    // A crawl that lost a job for good (here: its start job gone) is started over a day later.
    const stuckId = await website(db, projectId, `${site.base}/docs/`);
    await waitFor('its crawl to end', () => crawled(db, stuckId));
    await rows(
      db,
      sql`update sources set status = 'running', crawl_started_at = now() - interval '25 hours', next_refresh_at = null
          where id = ${stuckId}`,
    );
    const stuckBefore = await startedAt(stuckId);
    await rows(db, sql`select graphile_worker.add_job('sources__refresh_due', '{}'::json)`);
    await waitFor('the abandoned crawl started over', async () => (await startedAt(stuckId)) !== stuckBefore);
    await waitFor('and ended', () => crawled(db, stuckId));
    t.pass('a crawl abandoned for a day starts over and ends');
  },
);
