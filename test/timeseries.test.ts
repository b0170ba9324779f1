// Category time series by day, ISO week or month of a time zone, zero-filled.
import t, { type Test } from 'tap';
import { sql } from 'drizzle-orm';
import type { Static } from '@sinclair/typebox';
import { build, drain, waitFor, type ApiError } from './helper.js';
import { projectClient, projectWithKey } from './factories.js';
import { saveClassifierLabels } from '../src/db/queries/classification.js';
import { compactThreadCounts } from '../src/db/queries/thread-counts.js';
import type { Category, CategoryStats, CategoryTimeSeries } from '../src/schemas/categories.js';

type Series = Static<typeof CategoryTimeSeries>;

async function setup(t: Test) {
  const ctx = await build(t);
  const a = await projectWithKey(ctx.db);
  const api = projectClient(ctx.app, a.projectId, a.key);
  const categories = (await api.get('/categories/')).json<{ results: Static<typeof Category>[] }>().results;
  /** Threads created at these instants, with these labels (a category index, or null). */
  const threads = async (projectId: string, rows: [string, number | null][]) => {
    for (const [at, label] of rows) {
      const category = label === null ? null : categories[label].id;
      await ctx.db.execute(sql`
        insert into threads (project_id, created_at, first_question, category_id, category_source)
        values (${projectId}, ${at}::timestamptz, 'q', ${category}, ${category ? sql`'classifier'` : sql`null`})`);
    }
  };
  const series = async (query: string) => {
    const res = await api.get(`/categories/stats/timeseries?${query}`);
    t.equal(res.statusCode, 200, query);
    return res.json<Series>();
  };
  return { ctx, a, api, categories, threads, series };
}

t.test(
  'days of a time zone across a DST change: local midnights, zero-filled, every category in every bucket',
  async (t) => {
    const { a, categories, threads, series } = await setup(t);
    await threads(a.projectId, [
      ['2026-03-07T12:00:00Z', 0],
      ['2026-03-08T04:30:00Z', 1], // 23:30 on March 7 in New York (EST, -05:00)
      ['2026-03-08T05:30:00Z', null], // 00:30 on March 8
      ['2026-03-10T03:59:59Z', 0], // 23:59:59 on March 9 (EDT, -04:00)
      ['2026-03-10T04:00:00Z', 0], // March 10: outside the window below
    ]);
    const s = await series(
      'interval=day&timezone=America/New_York&created_after=2026-03-07T05:00:00Z&created_before=2026-03-10T04:00:00Z',
    );
    t.equal(s.interval, 'day');
    t.equal(s.timezone, 'America/New_York');
    t.same(
      s.results.map((b) => [b.start, b.total]),
      [
        ['2026-03-07T00:00:00-05:00', 2],
        ['2026-03-08T00:00:00-05:00', 1],
        ['2026-03-09T00:00:00-04:00', 1],
      ],
    );
    for (const b of s.results) {
      t.same(
        b.categories.map((c) => c.category?.name ?? null),
        [...categories.map((c) => c.name), null],
        'every category, then unlabelled',
      );
      t.equal(
        b.categories.reduce((n, c) => n + c.count, 0),
        b.total,
        'the counts add up to the total',
      );
    }
    t.same(
      s.results[0].categories.map((c) => c.count),
      [1, 1, ...categories.slice(2).map(() => 0), 0],
    );
    t.same(s.results[1].categories.at(-1), { category: null, count: 1 });
  },
);

t.test(
  'ISO weeks start on Monday; months in a zone with a 45-minute offset; consistent with /categories/stats',
  async (t) => {
    const { api, a, threads, series } = await setup(t);
    await threads(a.projectId, [
      ['2026-11-04T10:00:00Z', 0], // a Wednesday
      ['2026-11-09T10:00:00Z', 1], // the next Monday
      ['2026-11-15T23:00:00Z', null], // Sunday
      ['2026-12-31T18:20:00Z', 0], // 00:05 on January 1 in Kathmandu (+05:45)
    ]);
    const weeks = await series('interval=week&created_after=2026-11-04T00:00:00Z&created_before=2026-11-16T00:00:00Z');
    t.same(
      weeks.results.map((b) => [b.start, b.total]),
      [
        ['2026-11-02T00:00:00+00:00', 1],
        ['2026-11-09T00:00:00+00:00', 2],
      ],
      "the week of the window's first day, from its Monday",
    );

    const months = await series(
      'interval=month&timezone=Asia/Kathmandu&created_after=2026-10-31T18:15:00Z&created_before=2027-01-31T18:15:00Z',
    );
    t.same(
      months.results.map((b) => [b.start, b.total]),
      [
        ['2026-11-01T00:00:00+05:45', 3],
        ['2026-12-01T00:00:00+05:45', 0],
        ['2027-01-01T00:00:00+05:45', 1],
      ],
    );

    // The same window through /categories/stats: the same counts per category.
    const window = 'created_after=2026-10-31T18:15:00Z&created_before=2027-01-31T18:15:00Z';
    const stats = (await api.get(`/categories/stats?${window}`)).json<Static<typeof CategoryStats>>();
    const summed = (await series(`interval=month&timezone=Asia/Kathmandu&${window}`)).results.reduce<
      Record<string, number>
    >((acc, b) => {
      for (const c of b.categories) acc[c.category?.id ?? 'none'] = (acc[c.category?.id ?? 'none'] ?? 0) + c.count;
      return acc;
    }, {});
    t.same(Object.fromEntries(stats.results.map((r) => [r.category?.id ?? 'none', r.count])), summed);
    t.equal(stats.total, 4);
  },
);

t.test('without bounds: the last 30 days, 12 weeks or 12 months up to now', async (t) => {
  const { a, threads, series } = await setup(t);
  const now = new Date();
  await threads(a.projectId, [
    [now.toISOString(), 0],
    [new Date(now.getTime() - 40 * 86_400_000).toISOString(), 0],
  ]);
  const days = await series('interval=day');
  const today = (at: Date) => `${at.toISOString().slice(0, 10)}T00:00:00+00:00`;
  t.equal(days.results.length, 30);
  // Today when the request was made: the day it was sent, or the next if it was answered after midnight.
  t.ok([today(now), today(new Date())].includes(days.results.at(-1)!.start), 'the last bucket is today');
  t.same(
    days.results.map((b) => b.total).reduce((x, y) => x + y),
    1,
    'the thread of 40 days ago is outside',
  );
  t.equal((await series('interval=week')).results.length, 12);
  const months = await series('interval=month');
  t.equal(months.results.length, 12);
  t.same(
    months.results.map((b) => b.total).reduce((x, y) => x + y),
    2,
  );
  t.equal((await series('')).interval, 'day', 'day by default');
});

t.test("bad input is a 400; another project's threads never count", async (t) => {
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
  t.match(
    (
      await api.get(
        '/categories/stats/timeseries?interval=day&created_after=2020-01-01T00:00:00Z&created_before=2026-01-01T00:00:00Z',
      )
    ).json<ApiError>().message,
    /2192 buckets: at most 1000/,
  );

  const b = await projectWithKey(ctx.db);
  await threads(b.projectId, [['2026-06-01T12:00:00Z', null]]);
  await threads(a.projectId, [['2026-06-02T12:00:00Z', null]]);
  const s = await series('interval=month&created_after=2026-06-01T00:00:00Z&created_before=2026-07-01T00:00:00Z');
  t.same(
    s.results.map((r) => r.total),
    [1],
    "only this project's thread",
  );
  const noKey = await ctx.app.inject({ url: `/query/v1/projects/${a.projectId}/categories/stats/timeseries` });
  t.equal(noKey.statusCode, 401);
});

t.test(
  'the rollup: every change moves the counts, compaction changes none, any window and zone agrees with a live count',
  async (t) => {
    const { ctx, a, api, categories, threads, series } = await setup(t);
    // 300 threads over 20 days at odd minutes and seconds, a third unlabelled (a deterministic sequence).
    let seed = 7;
    const next = () => (seed = (seed * 48271) % 2147483647);
    const rows: [string, number | null][] = [];
    for (let i = 0; i < 300; i++) {
      const at = new Date(Date.UTC(2026, 9, 20) + (next() % (20 * 86_400)) * 1000).toISOString();
      rows.push([at, i % 3 === 0 ? null : next() % categories.length]);
    }
    await threads(a.projectId, rows);
    await threads(
      (await projectWithKey(ctx.db)).projectId,
      rows.slice(0, 50).map(([at]) => [at, null]),
    ); // never counted here

    const windows = [
      ['day', 'America/New_York', '2026-10-21T07:13:20Z', '2026-11-08T22:41:09Z'], // across the end of DST
      ['day', 'Asia/Kolkata', '2026-10-20T00:00:00Z', '2026-11-09T00:00:00Z'], // +05:30: buckets split hours
      ['week', 'Asia/Kathmandu', '2026-10-22T10:59:59.5Z', '2026-11-05T03:00:00Z'],
      ['month', 'UTC', '2026-10-20T00:00:00Z', '2026-11-10T00:00:00Z'],
    ] as const;
    /** Every window's series against threads counted one by one, by bucket and label. */
    const agrees = async (when: string) => {
      for (const [interval, zone, after, before] of windows) {
        const s = await series(`interval=${interval}&timezone=${zone}&created_after=${after}&created_before=${before}`);
        const live = (await ctx.db.execute(sql`
        select to_char(date_trunc(${interval}, created_at at time zone ${zone}), 'YYYY-MM-DD"T"HH24:MI:SS') as local,
          coalesce(category_id::text, 'none') as label, count(*)::int as n
        from threads where project_id = ${a.projectId} and created_at >= ${after} and created_at < ${before}
        group by 1, 2`)) as unknown as { local: string; label: string; n: number }[];
        const expected = Object.fromEntries(live.map((r) => [`${r.local} ${r.label}`, r.n]));
        const got: Record<string, number> = {};
        for (const b of s.results) {
          for (const c of b.categories)
            if (c.count !== 0) got[`${b.start.slice(0, 19)} ${c.category?.id ?? 'none'}`] = c.count;
        }
        t.same(got, expected, `${when}: ${interval} in ${zone}`);
      }
    };
    const deltas = async () => Number((await ctx.db.execute(sql`select count(*) from thread_count_deltas`))[0].count);
    const compact = async () => {
      // Two at once take disjoint deltas.
      await Promise.all([compactThreadCounts(ctx.db, 7), compactThreadCounts(ctx.db, 7)]);
      while ((await compactThreadCounts(ctx.db, 100)) > 0);
      t.equal(await deltas(), 0, 'every delta folded');
      const zero = await ctx.db.execute(sql`select count(*)::int as n from thread_counts where threads <= 0`);
      t.equal(zero[0].n, 0, 'no empty or negative rows');
    };

    await agrees('inserted');
    t.ok((await deltas()) > 0, 'the inserts appended deltas');
    await compact();
    await agrees('compacted');

    const ids = (await ctx.db.execute(
      sql`select id from threads where project_id = ${a.projectId} order by id`,
    )) as unknown as { id: string }[];
    const unlabelled = (await ctx.db.execute(
      sql`select id from threads where project_id = ${a.projectId} and category_id is null order by id limit 40`,
    )) as unknown as { id: string }[];
    await saveClassifierLabels(ctx.db, {
      projectId: a.projectId,
      labels: unlabelled.map((r) => ({ threadId: r.id, categoryId: categories[1].id })),
    });
    for (const { id } of ids.slice(0, 10))
      t.equal((await api.patch(`/threads/${id}/`, { category_id: categories[0].id })).statusCode, 200);
    for (const { id } of ids.slice(10, 15))
      t.equal((await api.patch(`/threads/${id}/`, { category_id: null })).statusCode, 200);
    await agrees('labels set, changed and cleared');
    await compact();
    await agrees('compacted again');
    t.equal((await api.delete(`/categories/${categories[1].id}/`)).statusCode, 204);
    await ctx.db.execute(
      sql`delete from threads where id in (${sql.join(
        ids.slice(20, 30).map((r) => sql`${r.id}::uuid`),
        sql`, `,
      )})`,
    );
    await agrees('a category and threads deleted');
    await drain(ctx); // the sweep the deletion kicked labels the threads it unlabelled
    await agrees('the sweep labelled them again');
    t.ok((await deltas()) > 0);
    await ctx.db.execute(sql`select graphile_worker.add_job('thread_counts__compact', '{}')`); // the crontab's task
    await drain(ctx);
    t.equal(await deltas(), 0, 'the task folded every delta');
    await agrees('compacted by the task');
  },
);

t.test(
  'a bulk statement folds its counts into the rollup at once; a batch of many deltas queues a compaction within seconds',
  async (t) => {
    const { ctx, a, categories, series } = await setup(t);
    const deltas = async () =>
      Number(
        (await ctx.db.execute(sql`select count(*) from thread_count_deltas where project_id = ${a.projectId}`))[0]
          .count,
      );
    const compactJobs = async () =>
      (await ctx.db.execute(
        sql`select key, run_at > now() as later from graphile_worker.jobs where task_identifier = 'thread_counts__compact'`,
      )) as unknown as {
        key: string | null;
        later: boolean;
      }[];
    /** The months of 2026 in UTC against threads counted one by one. */
    const agrees = async (when: string) => {
      const s = await series(
        'interval=month&timezone=UTC&created_after=2026-01-01T00:00:00Z&created_before=2026-07-01T00:00:00Z',
      );
      const live = (await ctx.db.execute(sql`
      select to_char(date_trunc('month', created_at at time zone 'UTC'), 'YYYY-MM-DD"T"HH24:MI:SS') as local,
        coalesce(category_id::text, 'none') as label, count(*)::int as n
      from threads where project_id = ${a.projectId} group by 1, 2`)) as unknown as {
        local: string;
        label: string;
        n: number;
      }[];
      const got: Record<string, number> = {};
      for (const b of s.results)
        for (const c of b.categories)
          if (c.count !== 0) got[`${b.start.slice(0, 19)} ${c.category?.id ?? 'none'}`] = c.count;
      t.same(got, Object.fromEntries(live.map((r) => [`${r.local} ${r.label}`, r.n])), when);
    };

    // 3,000 threads, one an hour from New Year: one statement, 3,000 (hour, label) keys.
    await ctx.db.execute(sql`
    insert into threads (project_id, created_at, first_question)
    select ${a.projectId}, timestamptz '2026-01-01T00:30:00Z' + n * interval '1 hour', 'q' from generate_series(0, 2999) n`);
    t.equal(await deltas(), 0, 'the bulk insert appended no deltas');
    const [rollup] = await ctx.db.execute(
      sql`select count(*)::int as n, sum(threads)::int as threads from thread_counts where project_id = ${a.projectId}`,
    );
    t.same(rollup, { n: 3000, threads: 3000 }, 'it counted itself in thread_counts');
    t.same(await compactJobs(), [], 'and queued no compaction');
    await agrees('after a bulk insert');

    // A backfill's batch: 300 labels append 600 deltas (one thread leaves "unlabelled", one joins its label,
    // per hour) and queue one compaction a few seconds ahead; a second batch joins the queued one.
    const ids = (await ctx.db.execute(
      sql`select id from threads where project_id = ${a.projectId} order by created_at limit 600`,
    )) as unknown as { id: string }[];
    await saveClassifierLabels(ctx.db, {
      projectId: a.projectId,
      labels: ids.slice(0, 300).map((r) => ({ threadId: r.id, categoryId: categories[0].id })),
    });
    t.equal(await deltas(), 600);
    await saveClassifierLabels(ctx.db, {
      projectId: a.projectId,
      labels: ids.slice(300).map((r) => ({ threadId: r.id, categoryId: categories[1].id })),
    });
    t.equal(await deltas(), 1200);
    t.same(
      await compactJobs(),
      [{ key: 'thread_counts_compact_soon', later: true }],
      'one compaction queued, a few seconds ahead',
    );
    await agrees('after two batches of labels');
    // The compaction runs once due: a worker would wait for it, as this does.
    await waitFor(
      'the queued compaction to fold every delta',
      async () => {
        await drain(ctx);
        return (await deltas()) === 0;
      },
      { everyMs: 100 },
    );
    t.equal(await deltas(), 0, 'the queued compaction folded them');
    await agrees('compacted');

    // Every thread relabelled in one UPDATE: folded too, and the rows it emptied are gone.
    await ctx.db.execute(
      sql`update threads set category_id = ${categories[1].id}, category_source = 'user' where project_id = ${a.projectId}`,
    );
    t.equal(await deltas(), 0, 'the bulk update appended no deltas');
    const [left] = await ctx.db.execute(sql`
    select count(*)::int as n, count(*) filter (where threads <= 0)::int as empty, count(*) filter (where category_id is distinct from ${categories[1].id})::int as other
    from thread_counts where project_id = ${a.projectId}`);
    t.same(left, { n: 3000, empty: 0, other: 0 }, 'one row an hour, for the one label left');
    await agrees('after a bulk relabel');
  },
);
