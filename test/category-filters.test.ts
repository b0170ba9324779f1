import t, { type Test } from "tap";
import { sql } from 'drizzle-orm';
import { build, drain } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';

type Category = { id: string; name: string };
type Thread = { id: string; first_question: string; category: Category | null; category_source: string | null };

/** A project with labelled, user-labelled and unlabelled threads spread over March 2026. */
async function fixture(t: Test) {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db, 'A');
  const b = await projectWithKey(ctx.db, 'B');
  const api = projectClient(ctx.app, a.projectId, a.key);
  const [discovery, troubleshooting] = (await api.get('/categories/')).json().results as Category[];
  const empty = (await api.post('/categories/', { name: 'Billing', description: 'invoices and seats' })).json() as Category;
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    const q = i % 2 === 0 ? `What are the system requirements for running the software, day ${i}?` : `My computer runs out of memory, what can I do, day ${i}?`;
    ids.push((await api.chat(q)).thread_id);
  }
  await projectClient(ctx.app, b.projectId, b.key).chat('What are the system requirements for running the software?');
  await drain(ctx);
  // Two threads corrected by a user, two never labelled (left for later), all spread over March 1..12.
  await api.patch(`/threads/${ids[0]}/`, { category_id: troubleshooting!.id });
  await api.patch(`/threads/${ids[1]}/`, { category_id: discovery!.id });
  await ctx.db.execute(sql`update threads set category_id = null, category_source = null, categorized_at = null where id in (${ids[10]}, ${ids[11]})`);
  await ctx.db.execute(sql`update threads set created_at = '2026-03-01T12:00:00Z'::timestamptz + (substring(first_question from 'day ([0-9]+)')::int * interval '1 day')
    where project_id = ${a.projectId}`);
  return { ...ctx, api, discovery: discovery!, troubleshooting: troubleshooting!, empty, ids };
}

async function walk(api: ReturnType<typeof projectClient>, query: string): Promise<Thread[]> {
  const out: Thread[] = [];
  let url = `/threads/?limit=3&${query}`;
  for (;;) {
    const res = await api.get(url);
    if (res.statusCode !== 200) throw new Error(res.body);
    const page = res.json();
    out.push(...page.results);
    if (!page.next) return out;
    url = `/threads/?limit=3&${query}&cursor=${page.next}`;
  }
}

const days = (threads: Thread[]) => threads.map((x) => Number(/day (\d+)/.exec(x.first_question)![1]));

t.test('category_id, category_source and date filters combine with the cursor', async (t) => {
  const f = await fixture(t);
  t.same(days(await walk(f.api, `category_id=${f.discovery.id}`)), [8, 6, 4, 2, 1], 'Discovery: classifier and user labels');
  t.same(days(await walk(f.api, `category_id=${f.troubleshooting.id}`)), [9, 7, 5, 3, 0]);
  t.same(days(await walk(f.api, 'category_id=none')), [11, 10], 'unlabelled');
  t.same(await walk(f.api, `category_id=${f.empty.id}`), [], 'a category without threads');
  t.same(days(await walk(f.api, 'category_source=user')), [1, 0]);
  t.same(days(await walk(f.api, 'category_source=classifier')), [9, 8, 7, 6, 5, 4, 3, 2]);
  t.same(days(await walk(f.api, `category_id=${f.discovery.id}&category_source=classifier`)), [8, 6, 4, 2]);
  t.same(
    days(await walk(f.api, `category_id=${f.troubleshooting.id}&created_after=2026-03-04T00:00:00Z&created_before=2026-03-09T00:00:00Z`)),
    [7, 5, 3],
  );
  for (const q of ['category_id=Discovery', 'category_id=', 'category_source=robot', 'category_source=']) {
    t.equal((await f.api.get(`/threads/?${q}`)).statusCode, 400, q);
  }
});

t.test('stats: every category (zero included) and unlabelled, adding up to total, in a window', async (t) => {
  const f = await fixture(t);
  const res = await f.api.get('/categories/stats');
  t.equal(res.statusCode, 200);
  t.same(res.json(), {
    results: [
      { category: { id: f.discovery.id, name: 'Discovery' }, count: 5 },
      { category: { id: f.troubleshooting.id, name: 'Troubleshooting' }, count: 5 },
      { category: { id: f.empty.id, name: 'Billing' }, count: 0 },
      { category: null, count: 2 },
    ],
    total: 12,
  });
  const window = (await f.api.get('/categories/stats/?created_after=2026-03-05T12:00:00Z&created_before=2026-03-12T12:00:00Z')).json();
  t.same(window.results.map((r: { count: number }) => r.count), [3, 3, 0, 1], 'days 4 to 10');
  t.equal(window.total, 7);
  const none = (await f.api.get('/categories/stats?created_after=2030-01-01T00:00:00Z')).json();
  t.equal(none.total, 0);
  t.equal(none.results.length, 4);
  t.equal((await f.api.get('/categories/stats?created_after=soon')).statusCode, 400);
});
