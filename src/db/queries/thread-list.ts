// The threads list: keyset pages newest first (or, with updatedSince, oldest change first up to the sync
// horizon), one prepared statement per combination of filters.
import { and, asc, desc, eq, gte, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { statement, type Db } from '../client.js';
import { categories, threads } from '../schema/index.js';
import { NIL_CATEGORY } from '../schema/threads.js';
import { threadColumns, withCategory } from './threads.js';
import { syncHorizon } from './thread-export.js';

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

/**
 * What a list statement's text depends on: which filters are present, never their values (those are bound
 * at each call). listStatement sees only this, so every branch it takes is part of the cache key.
 */
type Shape = {
  createdAfter: boolean;
  createdBefore: boolean;
  sync: boolean;
  category: 'any' | 'none' | 'one';
  categorySource: boolean;
  cursor: boolean;
};

const shapeOf = (p: ListThreadsParams): Shape => ({
  createdAfter: p.createdAfter !== undefined,
  createdBefore: p.createdBefore !== undefined,
  sync: p.updatedSince !== undefined,
  category: p.categoryId === undefined ? 'any' : p.categoryId === null ? 'none' : 'one',
  categorySource: p.categorySource !== undefined,
  cursor: p.cursor !== undefined,
});

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
function unlabelledHours(f: Shape) {
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

/** The list statement for one shape of filters, values bound at each call. */
const listStatement = (f: Shape) => {
  const { sync } = f;
  // Unlabelled threads alone, or within dates: the rollup's counts by hour guide the scan (unlabelledHours).
  const guided = f.category === 'none' && !sync && !f.categorySource;
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
            : f.category === 'none'
              ? isNull(threads.categoryId)
              : f.category === 'one'
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
            : [...(f.category !== 'any' ? [asc(threads.categoryId)] : []), desc(threads.createdAt), desc(threads.id)]),
      )
      .limit(v('limit')),
  );
};
// One prepared statement per shape, keyed by the shape itself.
const listStatements = new Map<string, ReturnType<typeof listStatement>>();

/**
 * Newest first, keyset-paginated on (created_at, id): every page is one index range scan. With
 * updatedSince, oldest change first on (updated_at, id), up to the sync horizon.
 */
export async function listThreads(db: Db, p: ListThreadsParams) {
  const shape = shapeOf(p);
  const key = JSON.stringify(shape);
  let list = listStatements.get(key);
  if (!list) listStatements.set(key, (list = listStatement(shape)));
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
