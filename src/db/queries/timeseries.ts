import { sql } from 'drizzle-orm';
import { rows, type Db } from '../client.js';
import { pgCode } from '../pg-errors.js';

export type Interval = 'day' | 'week' | 'month';

// Without created_after, the window is this many periods, up to created_before (or now).
const DEFAULT_PERIODS: Record<Interval, number> = { day: 30, week: 12, month: 12 };
export const MAX_BUCKETS = 1000;
const NIL = '00000000-0000-0000-0000-000000000000';

export type Bucket = {
  start: string;
  total: number;
  categories: { id: string | null; name: string | null; count: number }[];
};

/** A series, or why it was refused: the client's mistake (an unknown time zone, too many buckets). */
export type TimeSeries =
  { buckets: Bucket[] } | { refused: 'unknown zone' } | { refused: 'too many buckets'; n: number };
const UNKNOWN_ZONE = { refused: 'unknown zone' } as const;

/**
 * Threads per calendar day, ISO week or month of a time zone, by created_at and the label they carry now:
 * every bucket that overlaps [createdAfter, createdBefore), oldest first, empty ones included, each with every
 * category of the project (and null, unlabelled) in the order of /categories/stats. 400 for an unknown time
 * zone or more than MAX_BUCKETS buckets are refused. Whole UTC hours are read from the rollup (thread_counts and its
 * deltas), so a year by day sums about 9,000 rows per category instead of counting every thread.
 */
export async function categoryTimeSeries(
  db: Db,
  p: { projectId: string; interval: Interval; timezone: string; createdAfter?: string; createdBefore?: string },
): Promise<TimeSeries> {
  if (!knownZone(p.timezone)) return UNKNOWN_ZONE;
  const unit = sql.raw(`'${p.interval}'`);
  const step = sql.raw(`'1 ${p.interval}'::interval`);
  const before = p.createdBefore ? sql`${p.createdBefore}::timestamptz` : sql`now()`;
  // The buckets in the zone's wall time: the one holding the window's last instant, back to the one holding its first.
  const spans = await inZone(() =>
    rows<{ first: string; last: string; n: number; from: string; to: string }>(
      db,
      sql`
      with b as (
        select date_trunc(${unit}, (${before} - interval '1 microsecond') at time zone ${p.timezone}) as last
      ), f as (
        select last, ${p.createdAfter ? sql`date_trunc(${unit}, ${p.createdAfter}::timestamptz at time zone ${p.timezone})` : sql`last - ${DEFAULT_PERIODS[p.interval] - 1}::int * ${step}`} as first from b
      )
      select first::text, last::text,
        case when last < first then 0
             when ${p.interval} = 'month' then ((extract(year from last) - extract(year from first)) * 12 + extract(month from last) - extract(month from first))::int + 1
             else (last::date - first::date) / ${p.interval === 'week' ? 7 : 1} + 1 end as n,
        ${p.createdAfter ? sql`${p.createdAfter}::timestamptz` : sql`first at time zone ${p.timezone}`}::text as from,
        ${before}::text as to
      from f`,
    ),
  );
  if (!Array.isArray(spans)) return spans;
  const [span] = spans;
  if (span.n > MAX_BUCKETS) return { refused: 'too many buckets', n: span.n };
  if (span.n <= 0) return { buckets: [] };
  const counted = await inZone(() =>
    rows<{ local: string; offsetSeconds: number; id: string | null; name: string | null; count: number }>(
      db,
      sql`
      with buckets as (
        select b as local, greatest(b at time zone ${p.timezone}, ${span.from}::timestamptz) as lo,
          least((b + ${step}) at time zone ${p.timezone}, ${span.to}::timestamptz) as hi
        from generate_series(${span.first}::timestamp, ${span.last}::timestamp, ${step}) b
      ),
      -- Each bucket's whole UTC hours [r0, r1) come from the rollup; what is left at its ends (less than an
      -- hour: the window's bounds, a zone whose offset is not whole hours) is counted from threads.
      spans as (
        select local, lo, hi, case when h0 < h1 then h0 else hi end as r0, case when h0 < h1 then h1 else hi end as r1
        from (select *, date_trunc('hour', lo + interval '1 hour' - interval '1 microsecond', 'UTC') as h0,
          date_trunc('hour', hi, 'UTC') as h1 from buckets) b
      ),
      -- Each part is a LATERAL subquery kept apart by OFFSET 0 (not flattened into a join), so it can only run
      -- once per bucket as an index range scan. As plain joins, right after a bulk write (before ANALYZE has
      -- seen the new rows) the planner read all of a project's threads once and filtered them against every
      -- bucket: seconds at 150,000 threads, minutes at 1,000,000.
      counted as (
        select local, category_id, sum(n)::int as n from (
          select s.local, c.category_id, c.threads as n from spans s cross join lateral (
            select c.category_id, c.threads from thread_counts c
            where c.project_id = ${p.projectId} and c.hour >= s.r0 and c.hour < s.r1 offset 0) c
          union all
          select s.local, d.category_id, d.threads from spans s cross join lateral (
            select d.category_id, d.threads from thread_count_deltas d
            where d.project_id = ${p.projectId} and d.hour >= s.r0 and d.hour < s.r1 offset 0) d
          union all
          -- Only the buckets whose ends are not whole hours have threads to count one by one.
          select s.local, t.category_id, 1 from spans s cross join lateral (
            select t.category_id from threads t
            where t.project_id = ${p.projectId} and t.created_at >= s.lo and t.created_at < s.r0 offset 0) t
          where s.lo < s.r0
          union all
          select s.local, t.category_id, 1 from spans s cross join lateral (
            select t.category_id from threads t
            where t.project_id = ${p.projectId} and t.created_at >= s.r1 and t.created_at < s.hi offset 0) t
          where s.r1 < s.hi
        ) parts
        group by 1, 2
      ),
      labels as (
        select c.id, c.name, c.created_at from categories c where c.project_id = ${p.projectId}
        union all select null, null, null
      )
      select to_char(b.local, 'YYYY-MM-DD"T"HH24:MI:SS') as local,
        extract(epoch from b.local - ((b.local at time zone ${p.timezone}) at time zone 'UTC'))::int as "offsetSeconds",
        l.id, l.name, coalesce(c.n, 0) as count
      from buckets b cross join labels l
      -- Unlabelled as the nil uuid on both sides: an equality the planner can hash (IS NOT DISTINCT FROM it cannot).
      left join counted c on c.local = b.local and coalesce(c.category_id, ${NIL}::uuid) = coalesce(l.id, ${NIL}::uuid)
      order by b.local, l.created_at nulls last, l.name, l.id`,
    ),
  );
  if (!Array.isArray(counted)) return counted;
  const buckets: Bucket[] = [];
  for (const r of counted) {
    const start = `${r.local}${offset(r.offsetSeconds)}`;
    let bucket = buckets.at(-1);
    if (bucket?.start !== start) buckets.push((bucket = { start, total: 0, categories: [] }));
    bucket.total += r.count;
    bucket.categories.push({ id: r.id, name: r.name, count: r.count });
  }
  return { buckets };
}

/** ±HH:MM of an offset in seconds. */
function offset(seconds: number): string {
  const abs = Math.abs(seconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  return `${seconds < 0 ? '-' : '+'}${hh}:${mm}`;
}

/** An IANA name (not an offset or a POSIX rule, which PostgreSQL would also take) that Node knows. */
function knownZone(name: string): boolean {
  if (!/^[A-Za-z][\w+-]*(\/[\w+-]+)*$/.test(name)) return false;
  try {
    new Intl.DateTimeFormat('en', { timeZone: name });
    return true;
  } catch {
    return false;
  }
}

/** PostgreSQL refuses a time zone it does not know (22023, invalid parameter value): the client's mistake. */
async function inZone<T>(query: () => Promise<T>): Promise<T | typeof UNKNOWN_ZONE> {
  try {
    return await query();
  } catch (err) {
    if (pgCode(err) === '22023') return UNKNOWN_ZONE;
    throw err;
  }
}
