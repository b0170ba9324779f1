// SPEC §10: category time series by day, ISO week or month of a time zone, zero-filled.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import { build } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';

type Series = { interval: string; timezone: string; results: { start: string; total: number; categories: { category: { id: string; name: string } | null; count: number }[] }[] };

async function setup(t: Test) {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const categories = (await api.get('/categories/')).json().results as { id: string; name: string }[];
  /** Threads created at these instants, with these labels (a category index, or null). */
  const threads = async (projectId: string, rows: [string, number | null][]) => {
    for (const [at, label] of rows) {
      const category = label === null ? null : categories[label]!.id;
      await ctx.db.execute(sql`
        insert into threads (project_id, created_at, first_question, category_id, category_source)
        values (${projectId}, ${at}::timestamptz, 'q', ${category}, ${category ? sql`'classifier'` : sql`null`})`);
    }
  };
  const series = async (query: string) => {
    const res = await api.get(`/categories/stats/timeseries?${query}`);
    t.equal(res.statusCode, 200, query);
    return res.json() as Series;
  };
  return { ctx, a, api, categories, threads, series };
}

t.test('days of a time zone across a DST change: local midnights, zero-filled, every category in every bucket', async (t) => {
  const { a, categories, threads, series } = await setup(t);
  await threads(a.projectId, [
    ['2026-03-07T12:00:00Z', 0],
    ['2026-03-08T04:30:00Z', 1], // 23:30 on March 7 in New York (EST, -05:00)
    ['2026-03-08T05:30:00Z', null], // 00:30 on March 8
    ['2026-03-10T03:59:59Z', 0], // 23:59:59 on March 9 (EDT, -04:00)
    ['2026-03-10T04:00:00Z', 0], // March 10: outside the window below
  ]);
  const s = await series('interval=day&timezone=America/New_York&created_after=2026-03-07T05:00:00Z&created_before=2026-03-10T04:00:00Z');
  t.equal(s.interval, 'day');
  t.equal(s.timezone, 'America/New_York');
  t.same(s.results.map((b) => [b.start, b.total]), [
    ['2026-03-07T00:00:00-05:00', 2],
    ['2026-03-08T00:00:00-05:00', 1],
    ['2026-03-09T00:00:00-04:00', 1],
  ]);
  for (const b of s.results) {
    t.same(b.categories.map((c) => c.category?.name ?? null), [...categories.map((c) => c.name), null], 'every category, then unlabelled');
    t.equal(b.categories.reduce((n, c) => n + c.count, 0), b.total, 'the counts add up to the total');
  }
  t.same(s.results[0]!.categories.map((c) => c.count), [1, 1, ...categories.slice(2).map(() => 0), 0]);
  t.same(s.results[1]!.categories.at(-1), { category: null, count: 1 });
});

t.test('ISO weeks start on Monday; months in a zone with a 45-minute offset; consistent with /categories/stats', async (t) => {
  const { api, a, threads, series } = await setup(t);
  await threads(a.projectId, [
    ['2026-11-04T10:00:00Z', 0], // a Wednesday
    ['2026-11-09T10:00:00Z', 1], // the next Monday
    ['2026-11-15T23:00:00Z', null], // Sunday
    ['2026-12-31T18:20:00Z', 0], // 00:05 on January 1 in Kathmandu (+05:45)
  ]);
  const weeks = await series('interval=week&created_after=2026-11-04T00:00:00Z&created_before=2026-11-16T00:00:00Z');
  t.same(weeks.results.map((b) => [b.start, b.total]), [
    ['2026-11-02T00:00:00+00:00', 1],
    ['2026-11-09T00:00:00+00:00', 2],
  ], 'the week of the window\'s first day, from its Monday');

  const months = await series('interval=month&timezone=Asia/Kathmandu&created_after=2026-10-31T18:15:00Z&created_before=2027-01-31T18:15:00Z');
  t.same(months.results.map((b) => [b.start, b.total]), [
    ['2026-11-01T00:00:00+05:45', 3],
    ['2026-12-01T00:00:00+05:45', 0],
    ['2027-01-01T00:00:00+05:45', 1],
  ]);

  // The same window through /categories/stats: the same counts per category.
  const window = 'created_after=2026-10-31T18:15:00Z&created_before=2027-01-31T18:15:00Z';
  const stats = (await api.get(`/categories/stats?${window}`)).json();
  const summed = (await series(`interval=month&timezone=Asia/Kathmandu&${window}`)).results.reduce<Record<string, number>>((acc, b) => {
    for (const c of b.categories) acc[c.category?.id ?? 'none'] = (acc[c.category?.id ?? 'none'] ?? 0) + c.count;
    return acc;
  }, {});
  t.same(Object.fromEntries(stats.results.map((r: { category: { id: string } | null; count: number }) => [r.category?.id ?? 'none', r.count])), summed);
  t.equal(stats.total, 4);
});

t.test('without bounds: the last 30 days, 12 weeks or 12 months up to now', async (t) => {
  const { a, threads, series } = await setup(t);
  const now = new Date();
  await threads(a.projectId, [[now.toISOString(), 0], [new Date(now.getTime() - 40 * 86_400_000).toISOString(), 0]]);
  const days = await series('interval=day');
  t.equal(days.results.length, 30);
  t.equal(days.results.at(-1)!.start, `${now.toISOString().slice(0, 10)}T00:00:00+00:00`, 'the last bucket is today');
  t.same(days.results.map((b) => b.total).reduce((x, y) => x + y), 1, 'the thread of 40 days ago is outside');
  t.equal((await series('interval=week')).results.length, 12);
  const months = await series('interval=month');
  t.equal(months.results.length, 12);
  t.same(months.results.map((b) => b.total).reduce((x, y) => x + y), 2);
  t.equal((await series('')).interval, 'day', 'day by default');
});

t.test('bad input is a 400; another project\'s threads never count', async (t) => {
  const { ctx, a, api, threads, series } = await setup(t);
  for (const query of [
    'interval=year',
    'timezone=Mars/Olympus',
    'timezone=foo%2B3',
    'timezone=%2B05:00',
    'interval=day&created_after=2020-01-01T00:00:00Z&created_before=2026-01-01T00:00:00Z',
    'created_after=yesterday',
    'extra=1',
  ]) {
    const res = await api.get(`/categories/stats/timeseries?${query}`);
    t.equal(res.statusCode, 400, query);
    t.match(res.json(), { statusCode: 400, error: 'Bad Request' });
  }
  t.match((await api.get('/categories/stats/timeseries?interval=day&created_after=2020-01-01T00:00:00Z&created_before=2026-01-01T00:00:00Z')).json().message, /2192 buckets: at most 1000/);

  const b = await projectWithKey(ctx.db);
  await threads(b.projectId, [['2026-06-01T12:00:00Z', null]]);
  await threads(a.projectId, [['2026-06-02T12:00:00Z', null]]);
  const s = await series('interval=month&created_after=2026-06-01T00:00:00Z&created_before=2026-07-01T00:00:00Z');
  t.same(s.results.map((r) => r.total), [1], 'only this project\'s thread');
  const noKey = await ctx.app.inject({ url: `/query/v1/projects/${a.projectId}/categories/stats/timeseries` });
  t.equal(noKey.statusCode, 401);
});
