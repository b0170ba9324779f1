// The sources API: websites (a normalised, address-checked start URL; the first crawl queued with the source),
// files sources whose documents are put through the API and indexed by their job, the document list, search,
// deletion that hides a source at once, and the tenancy of all of it.
import type { Static } from '@sinclair/typebox';
import { sql } from 'drizzle-orm';
import t, { type Test } from 'tap';
import { rows } from '../src/db/client.js';
import { build, drain, type ApiError, type Page } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import type { Document } from '../src/schemas/documents.js';
import type { SearchResult } from '../src/schemas/search.js';
import type { Source } from '../src/schemas/sources.js';

type SourceJson = Static<typeof Source>;
type DocumentJson = Static<typeof Document>;
type Hit = Static<typeof SearchResult>;

async function setup(t: Test, env: Record<string, string> = { SOURCES_ALLOW_PRIVATE: 'true' }) {
  const ctx = await build(t, { env });
  const a = await projectWithKey(ctx.db);
  const api = client(ctx.app, a.projectId, a.key);
  return { ctx, a, api };
}

/** projectClient with PUT, which documents need. */
function client(app: Awaited<ReturnType<typeof build>>['app'], projectId: string, key: string) {
  const base = projectClient(app, projectId, key);
  const put = (path: string, payload: unknown) =>
    app.inject({
      method: 'PUT',
      url: `/query/v1/projects/${projectId}${path}`,
      headers: { 'x-api-key': key },
      payload: payload as object,
    });
  const search = async (query: string) =>
    (await base.get(`/search?query=${encodeURIComponent(query)}`)).json<{ results: Hit[] }>().results;
  const filesSource = async (name = 'Handbook') => {
    const res = await base.post('/sources', { type: 'files', name });
    if (res.statusCode !== 201) throw new Error(`files source: ${res.statusCode} ${res.body}`);
    return res.json<SourceJson>();
  };
  const putMarkdown = async (sourceId: string, path: string, content: string, extra: object = {}) => {
    const res = await put(`/sources/${sourceId}/documents`, {
      path,
      content,
      content_type: 'text/markdown',
      ...extra,
    });
    if (res.statusCode !== 202) throw new Error(`put ${path}: ${res.statusCode} ${res.body}`);
    return res.json<DocumentJson>();
  };
  return { ...base, put, search, filesSource, putMarkdown };
}

const jobs = (ctx: { db: Awaited<ReturnType<typeof build>>['db'] }, task: string) =>
  rows<{ payload: Record<string, string>; key: string | null }>(
    ctx.db,
    // The jobs view has no payloads: read them from graphile-worker's own table.
    sql`select j.payload, j.key from graphile_worker._private_jobs j
        join graphile_worker._private_tasks t on t.id = j.task_id where t.identifier = ${task} order by j.id`,
  );

/**
 * Runs the due jobs until none is left. A source's index jobs share its named queues, which run one job at a
 * time: a single runOnce leaves a job whose queue another worker held, so it runs again.
 */
async function settle(ctx: Awaited<ReturnType<typeof build>>) {
  for (let round = 0; round < 20; round++) {
    await drain(ctx);
    const [due] = await rows<{ n: number }>(
      ctx.db,
      sql`select count(*)::int as n from graphile_worker.jobs where run_at <= now() and attempts < max_attempts`,
    );
    if (due.n === 0) return;
  }
  throw new Error('jobs still due after 20 runs');
}

const INSTALL = `# Installing the widget

## From the package

Install the widget with \`npm install widget\`; it needs Node.js 22 or later.

## Upgrading

Run the installer again: your settings are kept across upgrades of the widget.
`;

t.test('a files source: a document put is indexed by its job and then found by search', async (t) => {
  const { ctx, api } = await setup(t);
  const created = await api.post('/sources', { type: 'files', name: '  Handbook  ' });
  t.equal(created.statusCode, 201);
  const source = created.json<SourceJson>();
  t.match(source, {
    type: 'files',
    name: 'Handbook',
    url: null,
    include: [],
    exclude: [],
    refresh: 'never',
    status: 'ready',
    documents: { total: 0, indexed: 0, failed: 0, skipped: 0 },
    chunks: 0,
    error: null,
    last_refreshed_at: null,
    next_refresh_at: null,
  });
  t.same(await jobs(ctx, 'sources__crawl'), [], 'a files source is never crawled');

  const put = await api.put(`/sources/${source.id}/documents`, {
    path: 'guide/install.md',
    content: INSTALL,
    content_type: 'text/markdown',
    url: 'HTTPS://Docs.Example/install#top',
  });
  t.equal(put.statusCode, 202);
  const doc = put.json<DocumentJson>();
  t.match(doc, {
    source_id: source.id,
    path: 'guide/install.md',
    url: 'https://docs.example/install',
    title: null,
    status: 'queued',
    reason: null,
    chunks: 0,
    indexed_at: null,
  });
  t.match((await api.get(`/sources/${source.id}`)).json<SourceJson>(), {
    status: 'running',
    documents: { total: 1, indexed: 0 },
  });
  t.same(await api.search('install the widget'), [], 'nothing searchable before its job has run');

  await settle(ctx);
  const [indexed] = (await api.get(`/sources/${source.id}/documents`)).json<Page<DocumentJson>>().results;
  t.match(indexed, { id: doc.id, status: 'indexed', title: 'Installing the widget', indexed_at: /Z$/ });
  t.ok(indexed.chunks > 0, 'it has chunks');
  t.match((await api.get(`/sources/${source.id}/`)).json<SourceJson>(), {
    status: 'ready',
    documents: { total: 1, indexed: 1, failed: 0, skipped: 0 },
    chunks: indexed.chunks,
  });

  const hits = await api.search('How do I install the widget?');
  t.ok(hits.length > 0, 'found');
  t.match(hits[0], {
    source_id: source.id,
    document_id: doc.id,
    title: 'Installing the widget',
    url: /^https:\/\/docs\.example\/install/,
    section: String,
    snippet: /install/i,
  });
  t.ok(hits[0].score > 0, 'a positive score');
  t.same(Object.keys(hits[0]).sort(), ['document_id', 'score', 'section', 'snippet', 'source_id', 'title', 'url']);

  // Put again at the same path: the same document, its earlier text searchable until the new one is indexed.
  const again = await api.putMarkdown(source.id, 'guide/install.md', '# Removing the gadget\n\nUninstall the gadget.', {
    title: 'Gadget removal',
  });
  t.equal(again.id, doc.id, 'upserted by path');
  t.equal(again.status, 'queued');
  t.ok((await api.search('widget')).length > 0, 'the earlier version is still found');
  await settle(ctx);
  t.same(await api.search('widget'), [], 'the earlier text has left the index');
  t.match((await api.get(`/sources/${source.id}/documents`)).json<Page<DocumentJson>>().results, [
    { id: doc.id, title: 'Gadget removal', status: 'indexed' },
  ]);
  t.match(
    await api.search('uninstall gadget'),
    [{ document_id: doc.id, title: 'Gadget removal' }],
    'cited by its given title',
  );
  // The same text under a new title: its chunks take the new title (the text alone is unchanged).
  await api.putMarkdown(source.id, 'guide/install.md', '# Removing the gadget\n\nUninstall the gadget.', {
    title: 'Gadget uninstallation',
  });
  await settle(ctx);
  t.match(await api.search('uninstall gadget'), [{ document_id: doc.id, title: 'Gadget uninstallation' }], 'retitled');

  // A files source's refresh indexes its documents again.
  const refreshed = await api.post(`/sources/${source.id}/refresh`, {});
  t.equal(refreshed.statusCode, 202);
  t.match(refreshed.json<SourceJson>(), { status: 'running', documents: { total: 1, indexed: 0 } });
  t.equal((await jobs(ctx, 'sources__index_page')).length, 1, 'its index job queued');
  await settle(ctx);
  t.match((await api.get(`/sources/${source.id}`)).json<SourceJson>(), {
    status: 'ready',
    documents: { indexed: 1 },
  });
});

t.test(
  'a website source: its URL normalised, its first crawl queued with it; refresh is a 409 while it is crawled',
  async (t) => {
    const { ctx, api } = await setup(t);
    const created = await api.post('/sources', {
      type: 'website',
      name: 'Docs',
      url: 'HTTP://LocalHost:80/Docs/%7euser/index.html#top',
      include: ['/Docs/api/'],
      exclude: ['internal/'],
      max_pages: 10,
      refresh: 'daily',
    });
    t.equal(created.statusCode, 201);
    const source = created.json<SourceJson>();
    t.match(source, {
      type: 'website',
      url: 'http://localhost/Docs/~user/index.html',
      include: ['/Docs/api/'],
      exclude: ['internal/'],
      max_pages: 10,
      refresh: 'daily',
      status: 'queued',
      documents: { total: 0 },
    });
    const [crawl] = await jobs(ctx, 'sources__crawl');
    t.equal(crawl?.payload.source_id, source.id, 'its crawl is queued with it');

    const defaults = (
      await api.post('/sources', { type: 'website', name: 'Other', url: 'http://127.0.0.1:9/' })
    ).json<SourceJson>();
    t.match(defaults, { max_pages: 5000, refresh: 'weekly', include: [], exclude: [] });

    const busy = await api.post(`/sources/${source.id}/refresh`, {});
    t.equal(busy.statusCode, 409);
    t.match(busy.json<ApiError>(), { code: 'CONFLICT', message: /being crawled/ });

    const put = await api.put(`/sources/${source.id}/documents`, {
      path: 'a.md',
      content: 'x',
      content_type: 'text/plain',
    });
    t.equal(put.statusCode, 409);
    t.equal(put.json<ApiError>().message, 'documents are put into files sources only');

    // A page of a website being crawled stays until the crawl has ended (its end waits for every page it reached).
    const [page] = await rows<{ id: string }>(
      ctx.db,
      sql`insert into documents (source_id, project_id, path, url, status)
        select id, project_id, '/Docs/~user/index.html', url, 'queued' from sources where id = ${source.id} returning id`,
    );
    const during = await api.delete(`/sources/${source.id}/documents/${page.id}`);
    t.equal(during.statusCode, 409);
    t.match(during.json<ApiError>().message, /being crawled/);

    // Once the crawl has ended, a refresh starts another: a new crawl id, the one job of the source replaced.
    await ctx.db.execute(sql`update sources set status = 'ready' where id = ${source.id}`);
    const refreshed = await api.post(`/sources/${source.id}/refresh`, {});
    t.equal(refreshed.statusCode, 202);
    t.equal(refreshed.json<SourceJson>().status, 'queued');
    const crawls = (await jobs(ctx, 'sources__crawl')).filter((j) => j.payload.source_id === source.id);
    t.equal(crawls.length, 1, 'one crawl job of the source');
    t.not(crawls[0].payload.crawl_id, crawl.payload.crawl_id, 'of a new crawl');
    await ctx.db.execute(sql`update sources set status = 'ready' where id = ${source.id}`);
    t.equal(
      (await api.delete(`/sources/${source.id}/documents/${page.id}`)).statusCode,
      204,
      'deleted after the crawl',
    );

    t.same(
      (await api.get('/sources')).json<{ results: SourceJson[] }>().results.map((s) => s.id),
      [source.id, defaults.id],
      'listed oldest first',
    );
  },
);

t.test('a start URL at a private address is refused at creation without SOURCES_ALLOW_PRIVATE', async (t) => {
  const { ctx, api } = await setup(t, {});
  for (const [url, reason] of [
    ['http://127.0.0.1:8080/docs/', 'url: 127.0.0.1 is not a public address'],
    ['http://localhost/docs/', /^url: localhost resolves to (127\.0\.0\.1|::1), a non-public address$/],
    ['http://10.1.2.3/docs/', 'url: 10.1.2.3 is not a public address'],
    ['http://[::1]/docs/', 'url: ::1 is not a public address'],
    ['http://169.254.169.254/latest/', 'url: 169.254.169.254 is not a public address'],
    ['https://user:secret@93.184.216.34/docs/', 'url: credentials (user:password@) are not accepted in the URL'],
    ['ftp://93.184.216.34/docs/', 'url: an http or https URL'],
  ] as const) {
    const res = await api.post('/sources', { type: 'website', name: 'Docs', url });
    t.equal(res.statusCode, 400, url);
    t.match(res.json<ApiError>().message, reason, url);
  }
  t.same((await api.get('/sources')).json<{ results: SourceJson[] }>().results, [], 'nothing created');
  t.same(await jobs(ctx, 'sources__crawl'), [], 'nothing crawled');
  t.equal(
    (await api.post('/sources', { type: 'website', name: 'Docs', url: 'https://93.184.216.34/docs/' })).statusCode,
    201,
    'a public address',
  );
});

t.test('refusals are said in words, naming the field', async (t) => {
  const { api } = await setup(t);
  const files = await api.filesSource();
  const message = async (res: Promise<{ statusCode: number; json<T>(): T }>) => {
    const r = await res;
    t.equal(r.statusCode, 400);
    return r.json<ApiError>().message;
  };
  const url = 'https://docs.example/';
  for (const [body, expected] of [
    [{ type: 'website', name: 'Docs' }, 'url: required'],
    [{ type: 'files', name: 'Docs', url }, 'url: not a known field (known: type, name)'],
    [{ type: 'files', name: '  ' }, 'name: text of 1 to 200 characters after trimming, not blank'],
    [{ type: 'website', name: 'x'.repeat(201), url }, 'name: text of 1 to 200 characters after trimming, not blank'],
    [{ type: 'ftp', name: 'Docs' }, 'type: one of website, files'],
    [{ name: 'Docs' }, 'type: required'],
    [{ type: 'website', name: 'Docs', url, max_pages: 0 }, 'max_pages: an integer from 1 to 100,000'],
    [{ type: 'website', name: 'Docs', url, max_pages: 100_001 }, 'max_pages: an integer from 1 to 100,000'],
    [{ type: 'website', name: 'Docs', url, refresh: 'hourly' }, 'refresh: one of daily, weekly, never'],
    [{ type: 'website', name: 'Docs', url, include: [' '] }, 'include[0]: text of at most 1,000 characters, not blank'],
    [{ type: 'website', name: 'Docs', url: 'not a url' }, 'url: an absolute URL'],
  ] as const) {
    t.equal(await message(api.post('/sources', body)), expected, JSON.stringify(body));
  }

  const doc = { path: 'a.md', content: 'text', content_type: 'text/markdown' };
  const documents = `/sources/${files.id}/documents`;
  for (const [body, expected] of [
    [{ ...doc, content_type: 'application/pdf' }, 'content_type: one of text/markdown, text/html, text/plain'],
    [{ ...doc, path: '' }, 'path: text of at most 1,000 characters, not blank'],
    [{ ...doc, path: 'p'.repeat(1001) }, 'path: text of at most 1,000 characters, not blank'],
    [{ ...doc, url: 'mailto:docs@example.com' }, 'url: an http or https URL'],
    [{ path: 'a.md', content_type: 'text/plain' }, 'content: required'],
    // Two bytes a character in UTF-8: over 5 MB in fewer characters.
    [{ ...doc, content: 'é'.repeat(2_700_000) }, 'content: at most 5 MB (5,242,880 bytes) in UTF-8'],
  ] as const) {
    t.equal(await message(api.put(documents, body)), expected, JSON.stringify(body).slice(0, 80));
  }
  const surrogate = await api.put(
    documents,
    JSON.parse('{"path": "a.md", "content": "x\\ud800", "content_type": "text/plain"}'),
  );
  t.match(surrogate.json<ApiError>(), { statusCode: 400, message: /^content: not valid Unicode text/ });

  // 5 MB of content is accepted (far over the 256 KiB of other bodies); a body over the route's limit is a 413.
  t.equal((await api.put(documents, { ...doc, content: 'x'.repeat(5 * 2 ** 20) })).statusCode, 202);
  t.equal((await api.put(documents, { ...doc, content: '\n'.repeat(5 * 2 ** 20 + 100_000) })).statusCode, 413);

  for (const [query, expected] of [
    ['', 'query: required'],
    ['?query=', 'query: text of at most 1,000 characters, not blank'],
    [`?query=${'q'.repeat(1001)}`, 'query: text of at most 1,000 characters, not blank'],
    ['?query=install&limit=0', 'limit: an integer from 1 to 20'],
    ['?query=install&limit=21', 'limit: an integer from 1 to 20'],
  ]) {
    t.equal(await message(api.get(`/search${query}`)), expected, query);
  }
  t.equal(await message(api.get(`${documents}?status=done`)), 'status: one of queued, indexed, failed, skipped');
  t.equal(await message(api.get(`${documents}?limit=101`)), 'limit: an integer from 1 to 100');
  t.equal(await message(api.get(`/sources/not-a-uuid`)), 'source_id: a UUID');
});

t.test('documents are listed oldest first with cursors; a cursor belongs to its source', async (t) => {
  const { ctx, api } = await setup(t);
  const files = await api.filesSource();
  const ids = [];
  for (const name of ['one', 'two', 'three']) ids.push((await api.putMarkdown(files.id, `${name}.md`, `# ${name}`)).id);
  const first = (await api.get(`/sources/${files.id}/documents?limit=2`)).json<Page<DocumentJson>>();
  t.same(
    first.results.map((d) => d.id),
    ids.slice(0, 2),
  );
  t.ok(first.next, 'a next page');
  const second = (await api.get(`/sources/${files.id}/documents?cursor=${encodeURIComponent(first.next!)}`)).json<
    Page<DocumentJson>
  >();
  t.same(
    second.results.map((d) => d.id),
    ids.slice(2),
  );
  t.equal(second.next, null);

  await settle(ctx);
  await ctx.db.execute(sql`update documents set status = 'failed', reason = 'HTTP 404' where id = ${ids[1]}`);
  const failed = (await api.get(`/sources/${files.id}/documents?status=failed`)).json<Page<DocumentJson>>();
  t.match(failed.results, [{ id: ids[1], status: 'failed', reason: 'HTTP 404' }]);
  t.equal(failed.results.length, 1);
  t.equal(
    (await api.get(`/sources/${files.id}/documents?status=indexed`)).json<Page<DocumentJson>>().results.length,
    2,
  );
  t.match((await api.get(`/sources/${files.id}`)).json<SourceJson>().documents, {
    total: 3,
    indexed: 2,
    failed: 1,
    skipped: 0,
  });

  const other = await api.filesSource('Other');
  const misplaced = await api.get(`/sources/${other.id}/documents?cursor=${encodeURIComponent(first.next!)}`);
  t.equal(misplaced.statusCode, 400);
  t.match(misplaced.json<ApiError>(), { code: 'INVALID_CURSOR', message: /^cursor: / });
});

t.test("projects never see each other's sources, documents or search results", async (t) => {
  const { ctx, a, api } = await setup(t);
  const b = await projectWithKey(ctx.db);
  const apiB = client(ctx.app, b.projectId, b.key);
  const source = await api.filesSource();
  const doc = await api.putMarkdown(source.id, 'install.md', INSTALL);
  const sourceB = await apiB.filesSource();
  const docB = await apiB.putMarkdown(sourceB.id, 'widget.md', '# The widget of B\n\nB installs its widget.');
  await settle(ctx);

  t.same(new Set((await api.search('install widget')).map((h) => h.document_id)), new Set([doc.id]));
  t.same(new Set((await apiB.search('install widget')).map((h) => h.document_id)), new Set([docB.id]));
  t.same(
    (await apiB.get('/sources')).json<{ results: SourceJson[] }>().results.map((s) => s.id),
    [sourceB.id],
  );
  const bad = [
    await apiB.get(`/sources/${source.id}`),
    await apiB.get(`/sources/${source.id}/documents`),
    await apiB.post(`/sources/${source.id}/refresh`, {}),
    await apiB.put(`/sources/${source.id}/documents`, { path: 'x.md', content: 'x', content_type: 'text/plain' }),
    await apiB.delete(`/sources/${source.id}/documents/${doc.id}`),
    await apiB.delete(`/sources/${source.id}`),
    // B's own source, A's document: still not found.
    await apiB.delete(`/sources/${sourceB.id}/documents/${doc.id}`),
  ];
  t.same(
    bad.map((r) => [r.statusCode, r.json<ApiError>().message]),
    [
      [404, 'source not found'],
      [404, 'source not found'],
      [404, 'source not found'],
      [404, 'source not found'],
      [404, 'document not found'],
      [404, 'source not found'],
      [404, 'document not found'],
    ],
  );
  t.match((await api.get(`/sources/${source.id}/documents`)).json<Page<DocumentJson>>().results, [{ id: doc.id }]);

  // B's key on A's project: 403; no key: 401.
  const asB = await ctx.app.inject({
    url: `/query/v1/projects/${a.projectId}/sources`,
    headers: { 'x-api-key': b.key },
  });
  t.equal(asB.statusCode, 403);
  const searchAsB = await ctx.app.inject({
    url: `/query/v1/projects/${a.projectId}/search?query=widget`,
    headers: { 'x-api-key': b.key },
  });
  t.equal(searchAsB.statusCode, 403);
  t.equal((await ctx.app.inject({ url: `/query/v1/projects/${a.projectId}/search?query=widget` })).statusCode, 401);
});

t.test(
  'a deleted source leaves search at once; its rows go in the background; a document can be deleted',
  async (t) => {
    const { ctx, a, api } = await setup(t);
    const source = await api.filesSource();
    const install = await api.putMarkdown(source.id, 'install.md', INSTALL);
    const upgrade = await api.putMarkdown(source.id, 'upgrade.md', '# Upgrading the gizmo\n\nUpgrade the gizmo often.');
    await settle(ctx);
    t.ok((await api.search('gizmo')).length > 0);

    t.equal((await api.delete(`/sources/${source.id}/documents/${upgrade.id}`)).statusCode, 204);
    t.same(await api.search('gizmo'), [], 'the document left search');
    t.equal((await api.delete(`/sources/${source.id}/documents/${upgrade.id}`)).statusCode, 404);
    t.match((await api.get(`/sources/${source.id}`)).json<SourceJson>().documents, { total: 1 });

    t.ok((await api.search('install widget')).length > 0);
    t.equal((await api.delete(`/sources/${source.id}`)).statusCode, 204);
    t.same(await api.search('install widget'), [], 'no result of it, before any job has run');
    t.equal((await api.get(`/sources/${source.id}`)).statusCode, 404);
    t.same((await api.get('/sources')).json<{ results: SourceJson[] }>().results, []);
    t.equal((await api.get(`/sources/${source.id}/documents`)).statusCode, 404);
    t.equal((await api.post(`/sources/${source.id}/refresh`, {})).statusCode, 404);
    t.equal((await api.delete(`/sources/${source.id}/documents/${install.id}`)).statusCode, 404);
    t.equal((await api.delete(`/sources/${source.id}`)).statusCode, 404, 'deleted once');
    t.match(await jobs(ctx, 'sources__purge'), [{ payload: { source_id: source.id } }]);
    t.match(await jobs(ctx, 'sources__stats'), [{ payload: { project_id: a.projectId } }]);

    await settle(ctx);
    const [left] = await rows<{ sources: number; documents: number; chunks: number }>(
      ctx.db,
      sql`select (select count(*)::int from sources where id = ${source.id}) as sources,
      (select count(*)::int from documents where source_id = ${source.id}) as documents,
      (select count(*)::int from chunks where source_id = ${source.id}) as chunks`,
    );
    t.same(left, { sources: 0, documents: 0, chunks: 0 }, 'its rows removed by the purge');
  },
);

t.test('methods and slashes as on every route', async (t) => {
  const { ctx, a, api } = await setup(t);
  const source = await api.filesSource();
  const patch = await api.patch(`/sources/${source.id}`, { name: 'x' });
  t.equal(patch.statusCode, 405);
  t.match(patch.headers.allow, /GET.*DELETE/);
  t.equal((await api.get('/sources/')).statusCode, 200);
  t.equal((await api.get('/search/?query=install')).statusCode, 200);
  const post = await ctx.app.inject({
    method: 'POST',
    url: `/query/v1/projects/${a.projectId}/search`,
    headers: { 'x-api-key': a.key },
    payload: {},
  });
  t.equal(post.statusCode, 405);
  t.equal(post.headers.allow, 'GET, HEAD');
});
