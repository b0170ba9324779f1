// Helpers of bench:threads: the project's threads labelled as after a finished backfill, the list's filters
// measured (with the page each must return), and EXPLAIN of the very statement listThreads sends.
import { sql, type SQL } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/postgres-js';
import type { Db } from '../../src/db/client.js';
import { listThreads, type ListThreadsParams } from '../../src/db/queries/thread-list.js';
import * as schema from '../../src/db/schema/index.js';

/**
 * The SQL text and parameters listThreads sends to PostgreSQL for these parameters, captured where every drizzle
 * statement ends (the postgres.js client's unsafe()) from a stand-in db that answers with no rows: however
 * listThreads builds and runs its query, it is captured, and not run (EXPLAIN ANALYZE below is its first run).
 */
export async function capturedListThreadsSql(p: ListThreadsParams): Promise<{ sql: string; params: unknown[] }> {
  const sent: { sql: string; params: unknown[] }[] = [];
  const recorder = drizzle.mock({ schema, casing: 'snake_case' });
  const noRows = () => Object.assign(Promise.resolve([]), { values: () => Promise.resolve([]) });
  Object.assign(recorder.$client, {
    unsafe: (text: string, params: unknown[] = []) => (sent.push({ sql: text, params }), noRows()),
  });
  await listThreads(recorder as unknown as Db, p);
  if (sent.length !== 1)
    throw new Error(`listThreads sent ${sent.length} statements instead of 1: update bench/lib/threads-list.ts`);
  return sent[0];
}

/** EXPLAIN (ANALYZE, BUFFERS) of the statement listThreads sends for `p`, as text. */
export async function explainListThreads(db: Db, p: ListThreadsParams): Promise<string> {
  const q = await capturedListThreadsSql(p);
  const plan = await db.$client.unsafe<{ 'QUERY PLAN': string }[]>(
    `explain (analyze, buffers) ${q.sql}`,
    q.params as never[],
  );
  return plan.map((r) => r['QUERY PLAN']).join('\n');
}

/**
 * How a plan reads the threads table: the first index it scans (null if none), and whether it does so without
 * a sequential or bitmap scan of threads and without a sort (a join to a small table, e.g. categories, may scan
 * that table).
 */
export function threadsAccess(planText: string): { index: string | null; rangeScanOnly: boolean } {
  const index = /Index (?:Only )?Scan (?:Backward )?using (\S+) on threads\b/.exec(planText)?.[1] ?? null;
  return { index, rangeScanOnly: index !== null && !/(Seq|Bitmap Heap) Scan on threads\b|\bSort\b/.test(planText) };
}

export interface Labels {
  discovery: string;
  troubleshooting: string;
  rare: string;
  /** Threads of the project per category name and source, e.g. "Discovery/classifier". */
  counts: Map<string, number>;
}

/**
 * Labels every thread of the project as after a finished backfill: the classifier's Discovery or Troubleshooting
 * (about half each); then a category "Rare" that users gave to 5 threads, and 50 other threads relabelled by
 * users (to the other default category). Two statements at a time for the bulk (one per core, as the seed).
 * The caller runs VACUUM ANALYZE afterwards.
 */
export async function labelAsAfterBackfill(db: Db, projectId: string): Promise<Labels> {
  const defaults = await db.execute<{ id: string; name: string }>(
    sql`select id, name from categories where project_id = ${projectId}`,
  );
  const idOf = (name: string) => {
    const found = defaults.find((c) => c.name === name);
    if (!found) throw new Error(`the project has no default category ${name}: update bench/lib/threads-list.ts`);
    return found.id;
  };
  const discovery = idOf('Discovery');
  const troubleshooting = idOf('Troubleshooting');
  const [rare] = await db.execute<{ id: string }>(sql`
    insert into categories (project_id, name, description)
    values (${projectId}, 'Rare', 'A category users gave to a handful of threads') returning id`);
  const half = sql.raw(`'80000000-0000-0000-0000-000000000000'::uuid`);
  await Promise.all(
    [sql`id < ${half}`, sql`id >= ${half}`].map((part) =>
      db.execute(sql`
        update threads set category_id = case when random() < 0.5 then ${discovery}::uuid else ${troubleshooting}::uuid end,
          category_source = 'classifier', categorized_at = now()
        where project_id = ${projectId} and ${part}`),
    ),
  );
  const randomThreads = (n: number) =>
    sql`(select id from threads where project_id = ${projectId} and category_source = 'classifier' order by random() limit ${n})`;
  await db.execute(sql`
    update threads set category_id = ${rare.id}::uuid, category_source = 'user', categorized_at = now()
    where project_id = ${projectId} and id in ${randomThreads(5)}`);
  await db.execute(sql`
    update threads set category_source = 'user', categorized_at = now(),
      category_id = case when category_id = ${discovery}::uuid then ${troubleshooting}::uuid else ${discovery}::uuid end
    where project_id = ${projectId} and id in ${randomThreads(50)}`);
  const rows = await db.execute<{ label: string; n: number }>(sql`
    select coalesce(c.name, 'unlabelled') || coalesce('/' || t.category_source::text, '') as label, count(*)::int as n
    from threads t left join categories c on c.id = t.category_id
    where t.project_id = ${projectId} group by 1 order by 1`);
  return { discovery, troubleshooting, rare: rare.id, counts: new Map(rows.map((r) => [r.label, r.n])) };
}

export interface ListFilter {
  name: string;
  /** The query string, after `?limit=20`. */
  query: string;
  /** listThreads' parameters for it (for EXPLAIN). */
  params: Omit<ListThreadsParams, 'projectId' | 'limit'>;
  /** The same filter in SQL on threads, for the expected page and the count. */
  where: SQL;
  /** Filtered on the category: listThreads orders by category_id first (one value), so does the expected page. */
  byCategory: boolean;
  /** The sync order (updated_since): oldest change first. */
  sync?: boolean;
}

/** The filters of the threads list measured, each on its own or combined. */
export function listFilters(
  labels: Labels,
  window: { after: string; before: string },
  updatedSince: string,
): ListFilter[] {
  const category = (name: string, id: string | null): ListFilter => ({
    name: `category_id=${name}`,
    query: `&category_id=${id ?? 'none'}`,
    params: { categoryId: id },
    where: id === null ? sql`category_id is null` : sql`category_id = ${id}::uuid`,
    byCategory: true,
  });
  const source = (s: 'classifier' | 'user'): ListFilter => ({
    name: `category_source=${s}`,
    query: `&category_source=${s}`,
    params: { categorySource: s },
    where: sql`category_source = ${s}`,
    byCategory: false,
  });
  const days = Math.round((Date.parse(window.before) - Date.parse(window.after)) / 86_400_000);
  return [
    category('Discovery', labels.discovery),
    category('Rare', labels.rare),
    category('none', null),
    source('classifier'),
    source('user'),
    {
      name: `created_after+created_before (${days} days)`,
      query: `&created_after=${encodeURIComponent(window.after)}&created_before=${encodeURIComponent(window.before)}`,
      params: { createdAfter: window.after, createdBefore: window.before },
      where: sql`created_at >= ${window.after}::timestamptz and created_at < ${window.before}::timestamptz`,
      byCategory: false,
    },
    {
      name: 'updated_since (the median change)',
      query: `&updated_since=${encodeURIComponent(updatedSince)}`,
      params: { updatedSince },
      where: sql`updated_at >= ${updatedSince}::timestamptz`,
      byCategory: false,
      sync: true,
    },
    {
      name: 'category_id=Rare&category_source=user',
      query: `&category_id=${labels.rare}&category_source=user`,
      params: { categoryId: labels.rare, categorySource: 'user' },
      where: sql`category_id = ${labels.rare}::uuid and category_source = 'user'`,
      byCategory: true,
    },
  ];
}

/** A window of `days` days in the middle of the time the project's threads span, as ISO 8601 instants. */
export async function middleWindow(
  db: Db,
  projectId: string,
  days: number,
): Promise<{ after: string; before: string }> {
  const [span] = await db.execute<{ oldest: number; newest: number }>(sql`
    select extract(epoch from min(created_at))::float8 * 1000 as oldest, extract(epoch from max(created_at))::float8 * 1000 as newest
    from threads where project_id = ${projectId}`);
  const middle = (span.oldest + span.newest) / 2;
  const half = (days / 2) * 86_400_000;
  return { after: new Date(middle - half).toISOString(), before: new Date(middle + half).toISOString() };
}

/** The updated_at half of the project's threads have reached, as an ISO 8601 instant with microseconds. */
export async function medianChange(db: Db, projectId: string): Promise<string> {
  const [row] = await db.execute<{ at: string }>(sql`
    select to_char(percentile_disc(0.5) within group (order by updated_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at
    from threads where project_id = ${projectId}`);
  return row.at;
}

/** The ids of the first page (20 threads) the filter must return, and how many threads of the project match it. */
export async function expectedPage(
  db: Db,
  projectId: string,
  f: ListFilter,
): Promise<{ ids: string[]; matching: number }> {
  const order = f.sync
    ? sql`updated_at, id`
    : f.byCategory
      ? sql`category_id, created_at desc, id desc`
      : sql`created_at desc, id desc`;
  const page = await db.execute<{ id: string }>(
    sql`select id from threads where project_id = ${projectId} and ${f.where} order by ${order} limit 20`,
  );
  const [count] = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from threads where project_id = ${projectId} and ${f.where}`,
  );
  return { ids: page.map((r) => r.id), matching: count.n };
}
