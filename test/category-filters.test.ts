import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import type { Static } from '@sinclair/typebox';
import { build, drain } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import { compactThreadCounts } from '../src/db/queries/thread-counts.js';
import type { Category as CategorySchema, CategoryStats } from '../src/schemas/categories.js';
import type { Thread as ThreadSchema, ThreadPage } from '../src/schemas/threads.js';

type Category = Static<typeof CategorySchema>;
type Categories = { results: Category[] };
type Thread = Static<typeof ThreadSchema>;
type Stats = Static<typeof CategoryStats>;

/** A project with labelled, user-labelled and unlabelled threads spread over March 2026. */
async function fixture(t: Test) {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db, 'A');
  const b = await projectWithKey(ctx.db, 'B');
  const api = projectClient(ctx.app, a.projectId, a.key);
  const [discovery, troubleshooting] = (await api.get('/categories/')).json<Categories>().results;
  const empty = (
    await api.post('/categories/', { name: 'Billing', description: 'invoices and seats' })
  ).json<Category>();
  const ids: string[] = [];
  for (let i = 0; i < 12; i++) {
    const q =
      i % 2 === 0
        ? `What are the system requirements for running the software, day ${i}?`
        : `My computer runs out of memory, what can I do, day ${i}?`;
    ids.push((await api.chat(q)).thread_id);
  }
  await projectClient(ctx.app, b.projectId, b.key).chat('What are the system requirements for running the software?');
  await drain(ctx);
  // Two threads corrected by a user, two never labelled (left for later), all spread over March 1..12.
  await api.patch(`/threads/${ids[0]}/`, { category_id: troubleshooting.id });
  await api.patch(`/threads/${ids[1]}/`, { category_id: discovery.id });
  await ctx.db.execute(
    sql`update threads set category_id = null, category_source = null, categorized_at = null where id in (${ids[10]}, ${ids[11]})`,
  );
  await ctx.db
    .execute(sql`update threads set created_at = '2026-03-01T12:00:00Z'::timestamptz + (substring(first_question from 'day ([0-9]+)')::int * interval '1 day')
    where project_id = ${a.projectId}`);
  return { ...ctx, api, discovery: discovery, troubleshooting: troubleshooting, empty, ids };
}

async function walk(api: ReturnType<typeof projectClient>, query: string): Promise<Thread[]> {
  const out: Thread[] = [];
  let url = `/threads/?limit=3&${query}`;
  for (;;) {
    const res = await api.get(url);
    if (res.statusCode !== 200) throw new Error(res.body);
    const page = res.json<Static<typeof ThreadPage>>();
    out.push(...page.results);
    if (!page.next) return out;
    url = `/threads/?limit=3&${query}&cursor=${page.next}`;
  }
}

const days = (threads: Thread[]) => threads.map((x) => Number(/day (\d+)/.exec(x.first_question)![1]));

t.test('category_id, category_source and date filters combine with the cursor', async (t) => {
  const f = await fixture(t);
  t.same(
    days(await walk(f.api, `category_id=${f.discovery.id}`)),
    [8, 6, 4, 2, 1],
    'Discovery: classifier and user labels',
  );
  t.same(days(await walk(f.api, `category_id=${f.troubleshooting.id}`)), [9, 7, 5, 3, 0]);
  t.same(days(await walk(f.api, 'category_id=none')), [11, 10], 'unlabelled');
  t.same(await walk(f.api, `category_id=${f.empty.id}`), [], 'a category without threads');
  t.same(days(await walk(f.api, 'category_source=user')), [1, 0]);
  t.same(days(await walk(f.api, 'category_source=classifier')), [9, 8, 7, 6, 5, 4, 3, 2]);
  t.same(days(await walk(f.api, `category_id=${f.discovery.id}&category_source=classifier`)), [8, 6, 4, 2]);
  t.same(
    days(
      await walk(
        f.api,
        `category_id=${f.troubleshooting.id}&created_after=2026-03-04T00:00:00Z&created_before=2026-03-09T00:00:00Z`,
      ),
    ),
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
  const window = (
    await f.api.get('/categories/stats/?created_after=2026-03-05T12:00:00Z&created_before=2026-03-12T12:00:00Z')
  ).json<Stats>();
  t.same(
    window.results.map((r) => r.count),
    [3, 3, 0, 1],
    'days 4 to 10',
  );
  t.equal(window.total, 7);
  const none = (await f.api.get('/categories/stats?created_after=2030-01-01T00:00:00Z')).json<Stats>();
  t.equal(none.total, 0);
  t.equal(none.results.length, 4);
  t.equal((await f.api.get('/categories/stats?created_after=soon')).statusCode, 400);
});

t.test(
  'category_id=none pages through unlabelled threads hour by hour, whatever the state of the rollup',
  async (t) => {
    const ctx = await build(t, { env: { RATE_LIMIT_PER_MINUTE: '1000000' } });
    const a = await projectWithKey(ctx.db, 'A');
    const b = await projectWithKey(ctx.db, 'B');
    const api = projectClient(ctx.app, a.projectId, a.key);
    const [discovery] = (await api.get('/categories/')).json<Categories>().results;
    // One thread an hour for 2,100 hours from New Year 08:00, and 300 more in hours 5 to 9, seven at each
    // instant; the other project's, unlabelled, at the same times (never listed here). One statement each,
    // touching 2,100 hours: the bulk path that folds into the rollup at once.
    for (const projectId of [a.projectId, b.projectId]) {
      await ctx.db.execute(sql`
      insert into threads (project_id, created_at, first_question)
      select ${projectId}::uuid, timestamptz '2026-01-01T08:00:00Z' + n * interval '1 hour' + (n * 7 % 60) * interval '1 minute', 'q' || n
      from generate_series(0, 2099) n
      union all
      select ${projectId}::uuid, timestamptz '2026-01-01T08:00:00Z' + (5 + k % 5) * interval '1 hour' + (k / 7) * interval '1 minute', 'q' || 2100 + k
      from generate_series(0, 299) k`);
    }
    /** Every page of the list at these limits and query, against the same filter in SQL. */
    const agrees = async (when: string) => {
      const windows = [
        ['', sql`true`, [7, 100]],
        [
          '&created_after=2026-01-01T11:30:00Z&created_before=2026-01-03T00:15:30Z',
          sql`created_at >= '2026-01-01T11:30:00Z' and created_at < '2026-01-03T00:15:30Z'`,
          [1, 7],
        ],
        ['&created_before=2026-02-12T00:00:00Z', sql`created_at < '2026-02-12T00:00:00Z'`, [7, 100]],
      ] as const;
      for (const [query, where, limits] of windows) {
        const expected = (
          (await ctx.db
            .execute(sql`select id from threads where project_id = ${a.projectId} and category_id is null and ${where}
        order by created_at desc, id desc`)) as unknown as { id: string }[]
        ).map((r) => r.id);
        for (const limit of limits) {
          const got: string[] = [];
          let url = `/threads/?limit=${limit}&category_id=none${query}`;
          for (let pages = 0; pages < 3000; pages++) {
            const res = await api.get(url);
            if (res.statusCode !== 200) throw new Error(res.body);
            const page = res.json<Static<typeof ThreadPage>>();
            got.push(...page.results.map((r) => r.id));
            if (!page.next || got.length > expected.length) break;
            url = `/threads/?cursor=${page.next}&limit=${limit}`;
          }
          t.same(got, expected, `${when}: limit ${limit}${query}`);
        }
      }
    };
    const label = (where: ReturnType<typeof sql>) =>
      ctx.db.execute(
        sql`update threads set category_id = ${discovery.id}, category_source = 'classifier' where project_id = ${a.projectId} and ${where}`,
      );
    const deltas = async () =>
      Number(
        (await ctx.db.execute(sql`select count(*) from thread_count_deltas where project_id = ${a.projectId}`))[0]
          .count,
      );

    await agrees('all unlabelled');
    // Hours emptied by a few labels (deltas appended), others thinned out by many (folded), some left alone.
    await label(sql`created_at >= '2026-01-01T20:00:00Z' and created_at < '2026-01-02T04:00:00Z'`);
    t.ok((await deltas()) > 0, 'the labels appended deltas');
    await label(
      sql`created_at >= '2026-01-10T00:00:00Z' and substring(first_question from 2)::int % 5 <> 0 and created_at < '2026-03-10T00:00:00Z'`,
    );
    await agrees('labels pending in deltas');
    while ((await compactThreadCounts(ctx.db, 1000)) > 0);
    await agrees('compacted');
    // Two labels cleared: unlabelled again in an hour the rollup had emptied, and in one it had thinned.
    await ctx.db.execute(sql`update threads set category_id = null, category_source = null
    where project_id = ${a.projectId} and first_question in ('q14', 'q301')`);
    await agrees('two cleared');
    // Every thread labelled in one statement, then one cleared again.
    await label(sql`true`);
    t.same((await api.get('/threads/?category_id=none')).json(), { results: [], next: null }, 'none left');
    await ctx.db.execute(
      sql`update threads set category_id = null, category_source = null where project_id = ${a.projectId} and first_question = 'q42'`,
    );
    await agrees('all labelled but one');
  },
);
