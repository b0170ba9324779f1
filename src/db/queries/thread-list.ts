// The threads list: keyset pages newest first (or, with updatedSince, oldest change first up to the sync
// horizon), one prepared statement per combination of filters.
import { and, asc, desc, eq, gte, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { rows, statement, type Db } from '../client.js';
import { categories, threads } from '../schema/index.js';
import { NIL_CATEGORY } from '../schema/threads.js';
import { threadColumns, withCategory } from './threads.js';

export interface ThreadCursor {
  at: string; // created_at, or updated_at with updatedSince: as PostgreSQL prints it in UTC, microseconds included
  id: string;
}

export interface ListThreadsParams {
  projectId: string;
  limit: number;
  cursor?: ThreadCursor;
  createdAfter?: string;
  createdBefore?: string;
  /** Changed at or after this instant: the sync order, oldest change first. */
  updatedSince?: string;
  /** A category id, or null for unlabelled threads. */
  categoryId?: string | null;
  categorySource?: 'classifier' | 'user';
}

const v = sql.placeholder;
type Filters = Omit<ListThreadsParams, 'projectId' | 'limit'>;

const hourOf = sql`date_trunc('hour', ${threads.createdAt}, 'UTC')`;
const nil = sql.raw(NIL_CATEGORY);

/**
 * `category_id=none`, newest first, read only in the UTC hours that hold unlabelled threads. Labelling a
 * thread leaves its old index entry, unlabelled, until VACUUM: after a backfill labelled every thread, any
 * index of unlabelled threads holds a million dead entries, and a scan for the newest live ones walked them
 * all on every page (LP_DEAD hints only make each step cheaper; VACUUM alone removes them). The rollup counts
 * unlabelled threads per hour in the same transactions as the labels, so it tells which hours have any in
 * this very snapshot: a page takes the newest `limit` + 1 such hours up to its cursor (each holds at least
 * one thread of the page, except perhaps the cursor's or created_before's own hour, cut short), and the scan
 * of threads_unlabelled_hour_idx jumps from one to the next, in order. Of the rollup, the page reads the
 * project's unlabelled deltas (few: they are compacted within a minute) and thread_counts' newest `limit` + 1
 * rows plus one per hour with deltas: the deltas may cancel that many, and any hour past those is older
 * than `limit` + 1 hours that hold threads.
 */
function unlabelledHours(f: Filters) {
  const within = (hour: SQL) =>
    and(
      f.cursor ? sql`${hour} <= date_trunc('hour', ${v('cursorAt')}::timestamptz, 'UTC')` : undefined,
      f.createdBefore ? sql`${hour} < ${v('createdBefore')}::timestamptz` : undefined,
      f.createdAfter ? sql`${hour} >= date_trunc('hour', ${v('createdAfter')}::timestamptz, 'UTC')` : undefined,
    ) ?? sql`true`;
  return and(
    sql`coalesce(${threads.categoryId}, ${nil}) = ${nil}`,
    sql`${hourOf} = any(array(
      with d as (
        select d.hour, sum(d.threads) as n from thread_count_deltas d
        where d.project_id = ${v('projectId')} and d.category_id is null and ${within(sql`d.hour`)} group by d.hour
      ),
      c as (
        select c.hour, c.threads as n from thread_counts c
        where c.project_id = ${v('projectId')} and c.category_id is null and ${within(sql`c.hour`)}
        order by c.hour desc limit ${v('limit')} + 1 + (select count(*) from d)
      )
      select hour from (select * from c union all select * from d) u
      group by hour having sum(n) > 0 order by hour desc limit ${v('limit')} + 1))`,
  );
}

/** The list statement for one combination of filters, values bound at each call. */
const listStatement = (f: Filters) => {
  const sync = f.updatedSince !== undefined;
  // Unlabelled threads alone, or within dates: the rollup's counts by hour guide the scan (unlabelledHours).
  const guided = f.categoryId === null && !sync && !f.categorySource;
  const at = sync ? threads.updatedAt : threads.createdAt;
  return statement((db: Db) =>
    db
      .select({ ...threadColumns, cursorAt: sql<string>`${at}::text` })
      .from(threads)
      .leftJoin(categories, withCategory)
      .where(
        and(
          eq(threads.projectId, v('projectId')),
          // Bounds and cursor as text: a JS Date would drop the microseconds and skip or repeat rows.
          f.createdAfter ? gte(threads.createdAt, sql`${v('createdAfter')}::timestamptz`) : undefined,
          f.createdBefore ? lt(threads.createdAt, sql`${v('createdBefore')}::timestamptz`) : undefined,
          sync ? gte(threads.updatedAt, sql`${v('updatedSince')}::timestamptz`) : undefined,
          sync ? lt(threads.updatedAt, sql`${v('horizon')}::timestamptz`) : undefined,
          guided
            ? unlabelledHours(f)
            : f.categoryId === null
              ? isNull(threads.categoryId)
              : f.categoryId
                ? eq(threads.categoryId, v('categoryId'))
                : undefined,
          f.categorySource ? eq(threads.categorySource, v('categorySource')) : undefined,
          f.cursor
            ? sql`(${at}, ${threads.id}) ${sql.raw(sync ? '>' : '<')} (${v('cursorAt')}::timestamptz, ${v('cursorId')}::uuid)`
            : undefined,
        ),
      )
      // With a category filter, ordering by the category too (a no-op: it is one value) is what lets the
      // planner read (project_id, category_id, created_at, id) in order: for `category_id IS NULL`, which
      // it does not treat as a constant, it otherwise walked the whole project newest first, filtering
      // (1.35 s at 1,000,000 threads when none is unlabelled).
      .orderBy(
        ...(sync
          ? [asc(threads.updatedAt), asc(threads.id)]
          : guided
            ? [desc(hourOf), desc(threads.createdAt), desc(threads.id)]
            : [
                ...(f.categoryId !== undefined ? [asc(threads.categoryId)] : []),
                desc(threads.createdAt),
                desc(threads.id),
              ]),
      )
      .limit(v('limit')),
  );
};
const listStatements = new Map<string, ReturnType<typeof listStatement>>();

/**
 * Where the sync order may safely end: the start of the oldest transaction still running on this database.
 * updated_at is its transaction's start (now()), and transactions commit in any order: a change written by
 * one that began earlier may still commit. Only changes older than every running transaction are final, so
 * a client that pages up to here and asks again from its largest updated_at never misses one. Read in a
 * statement of its own, before the page's: every transaction that began before the horizon has ended
 * by the time the page's snapshot is taken. (It sees the sessions of our own database role: every writer.)
 */
async function syncHorizon(db: Db): Promise<string> {
  const [row] = await rows<{ at: string }>(
    db,
    sql`
    select coalesce(min(xact_start), now())::text as at from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null and backend_type = 'client backend'`,
  );
  return row.at;
}

/**
 * Newest first, keyset-paginated on (created_at, id): every page is one index range scan. With
 * updatedSince, oldest change first on (updated_at, id), up to the sync horizon.
 */
export async function listThreads(db: Db, p: ListThreadsParams) {
  const shape = [
    p.createdAfter,
    p.createdBefore,
    p.updatedSince,
    p.categoryId === null ? 'none' : p.categoryId,
    p.categorySource,
    p.cursor,
  ]
    .map((x) => (x === undefined ? '-' : x === 'none' ? 'n' : '+'))
    .join('');
  let list = listStatements.get(shape);
  if (!list) listStatements.set(shape, (list = listStatement(p)));
  const page = await list(db, {
    projectId: p.projectId,
    createdAfter: p.createdAfter,
    createdBefore: p.createdBefore,
    updatedSince: p.updatedSince,
    horizon: p.updatedSince === undefined ? undefined : await syncHorizon(db),
    categoryId: p.categoryId,
    categorySource: p.categorySource,
    cursorAt: p.cursor?.at,
    cursorId: p.cursor?.id,
    limit: p.limit + 1,
  });
  const more = page.length > p.limit;
  if (more) page.pop();
  const last = page.at(-1);
  return { threads: page, next: more && last ? { at: last.cursorAt, id: last.id } : null };
}

export type ThreadRecord = Awaited<ReturnType<typeof listThreads>>['threads'][number];
