import { sql } from 'drizzle-orm';
import { rows, type Db } from '../client.js';
import { badRequest } from '../../errors.js';
import { pgCode } from '../pg-errors.js';

export type Interval = 'day' | 'week' | 'month';

// Without created_after, the window is this many periods, up to created_before (or now).
const DEFAULT_PERIODS: Record<Interval, number> = { day: 30, week: 12, month: 12 };
export const MAX_BUCKETS = 1000;
const NIL = '00000000-0000-0000-0000-000000000000';

export type Bucket = { start: string; total: number; categories: { id: string | null; name: string | null; count: number }[] };

/**
 * Threads per calendar day, ISO week or month of a time zone, by created_at and the label they carry now:
 * every bucket that overlaps [createdAfter, createdBefore), oldest first, empty ones included, each with every
 * category of the project (and null, unlabelled) in the order of /categories/stats. 400 for an unknown time
 * zone or more than MAX_BUCKETS buckets.
 */
export async function categoryTimeSeries(
  db: Db,
  p: { projectId: string; interval: Interval; timezone: string; createdAfter?: string; createdBefore?: string },
): Promise<Bucket[]> {
  if (!knownZone(p.timezone)) throw unknownZone();
  const unit = sql.raw(`'${p.interval}'`);
  const step = sql.raw(`'1 ${p.interval}'::interval`);
  const before = p.createdBefore ? sql`${p.createdBefore}::timestamptz` : sql`now()`;
  // The buckets in the zone's wall time: the one holding the window's last instant, back to the one holding its first.
  const [span] = await inZone(() =>
    rows<{ first: string; last: string; n: number; from: string; to: string }>(db, sql`
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
      from f`),
  );
  if (span!.n > MAX_BUCKETS) throw badRequest(`${span!.n} buckets: at most ${MAX_BUCKETS} (narrow the window or widen the interval)`);
  if (span!.n <= 0) return [];
  const counted = await inZone(() =>
    rows<{ local: string; offset_s: number; id: string | null; name: string | null; count: number }>(db, sql`
      with buckets as (
        select b as local from generate_series(${span!.first}::timestamp, ${span!.last}::timestamp, ${step}) b
      ),
      labels as (
        select c.id, c.name, c.created_at from categories c where c.project_id = ${p.projectId}
        union all select null, null, null
      ),
      counted as (
        select date_trunc(${unit}, t.created_at at time zone ${p.timezone}) as local, t.category_id, count(*)::int as n
        from threads t
        where t.project_id = ${p.projectId} and t.created_at >= ${span!.from}::timestamptz and t.created_at < ${span!.to}::timestamptz
        group by 1, 2
      )
      select to_char(b.local, 'YYYY-MM-DD"T"HH24:MI:SS') as local,
        extract(epoch from b.local - ((b.local at time zone ${p.timezone}) at time zone 'UTC'))::int as offset_s,
        l.id, l.name, coalesce(c.n, 0) as count
      from buckets b cross join labels l
      -- Unlabelled as the nil uuid on both sides: an equality the planner can hash (IS NOT DISTINCT FROM it cannot).
      left join counted c on c.local = b.local and coalesce(c.category_id, ${NIL}::uuid) = coalesce(l.id, ${NIL}::uuid)
      order by b.local, l.created_at nulls last, l.name, l.id`),
  );
  const buckets: Bucket[] = [];
  for (const r of counted) {
    const start = `${r.local}${offset(r.offset_s)}`;
    let bucket = buckets.at(-1);
    if (bucket?.start !== start) buckets.push((bucket = { start, total: 0, categories: [] }));
    bucket.total += r.count;
    bucket.categories.push({ id: r.id, name: r.name, count: r.count });
  }
  return buckets;
}

/** ±HH:MM of an offset in seconds. */
function offset(seconds: number): string {
  const abs = Math.abs(seconds);
  const hh = String(Math.floor(abs / 3600)).padStart(2, '0');
  const mm = String(Math.floor((abs % 3600) / 60)).padStart(2, '0');
  return `${seconds < 0 ? '-' : '+'}${hh}:${mm}`;
}

const unknownZone = () => badRequest('unknown time zone: use an IANA name such as Europe/Berlin');

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

/** PostgreSQL refuses a time zone it does not know (22023): the client's mistake, a 400. */
async function inZone<T>(query: () => Promise<T>): Promise<T> {
  try {
    return await query();
  } catch (err) {
    if (pgCode(err) === '22023') throw unknownZone();
    throw err;
  }
}
