import { randomUUID } from 'node:crypto';
import { and, asc, desc, eq, gte, isNull, lt, sql, type SQL } from 'drizzle-orm';
import { rows, statement, type Db, type DbOrTx } from '../client.js';
import { categories, questionAnswers, threads } from '../schema/index.js';
import { NIL_CATEGORY } from '../schema/threads.js';
import type { Usage } from '../../models/llm.js';
import type { Turn } from '../../models/rag.js';
import { newThreadJob } from './jobs.js';
import { feedbackOf } from './feedback.js';
import { databaseFault } from '../pg-errors.js';
import { GroupWrites } from '../../lib/group-writes.js';

/** A thread as the API shows it, with its category (null while unlabelled). */
const threadColumns = {
  id: threads.id,
  projectId: threads.projectId,
  createdAt: threads.createdAt,
  updatedAt: threads.updatedAt,
  firstQuestion: threads.firstQuestion,
  totalQuestions: threads.totalQuestions,
  categorySource: threads.categorySource,
  categorizedAt: threads.categorizedAt,
  category: { id: categories.id, name: categories.name, description: categories.description },
};

// The label's category is one of the thread's own project's (a composite foreign key): the join says so too.
const withCategory = and(eq(categories.id, threads.categoryId), eq(categories.projectId, threads.projectId));

export interface NewThread {
  projectId: string;
  question: string;
  answer: string;
  usage: Usage;
}

/** A question-answer's usage columns as json_to_recordset reads them. */
const usageJson = (u: Usage) => ({ model: u.model, prompt_tokens: u.promptTokens, completion_tokens: u.completionTokens, latency_ms: u.latencyMs });
export interface CreatedThread {
  threadId: string;
  questionAnswerId: string;
}

/**
 * Threads, their first question-answers and their classification jobs, in one statement: all written or
 * none (C4). Each job holds its thread for `classifyTimeoutSeconds`; with null (categorisation off) no job
 * is added and the threads are left for the sweep.
 */
export async function createThreads(db: DbOrTx, items: NewThread[], classifyTimeoutSeconds: number | null): Promise<CreatedThread[]> {
  const created = items.map(() => ({ threadId: randomUUID(), questionAnswerId: randomUUID() }));
  const input = JSON.stringify(
    items.map((item, i) => ({
      id: created[i]!.threadId,
      qa_id: created[i]!.questionAnswerId,
      project_id: item.projectId,
      question: item.question,
      answer: item.answer,
      ...usageJson(item.usage),
    })),
  );
  const classify = classifyTimeoutSeconds !== null;
  const due = classify ? sql`now() + make_interval(secs => ${classifyTimeoutSeconds}::int)` : sql`'-infinity'::timestamptz`;
  // A CTE that only selects runs only if referenced: the final select counts `job` so every job is added.
  await rows(db, sql`
    with input as (
      select * from json_to_recordset(${input}::json)
        as i(id uuid, qa_id uuid, project_id uuid, question text, answer text, model text, prompt_tokens int, completion_tokens int, latency_ms int)
    ),
    t as (
      insert into threads (id, project_id, first_question, classification_due_at)
      select id, project_id, question, ${due} from input returning id, project_id
    ),
    qa as (
      insert into question_answers (id, thread_id, project_id, position, question, answer, model, prompt_tokens, completion_tokens, latency_ms)
      select qa_id, id, project_id, 1, question, answer, model, prompt_tokens, completion_tokens, latency_ms from input returning id
    )${classify ? sql`, job as (select ${newThreadJob(sql`t.project_id`, sql`t.id`)} from t)` : sql``}
    select (select count(*) from qa) as written${classify ? sql`, (select count(*) from job) as jobs` : sql``}`);
  return created;
}

/** One new thread (createThreads of one). */
export async function createThread(db: DbOrTx, p: NewThread & { classifyTimeoutSeconds: number | null }): Promise<CreatedThread> {
  const [created] = await createThreads(db, [p], p.classifyTimeoutSeconds);
  return created!;
}

/**
 * The chat's new threads, group-committed (GroupWrites): under load one statement carries the threads of
 * many requests, so notifying commits no longer cap the chat. If a group fails for a reason other than
 * the database's availability, each thread is written on its own, so that one bad item fails alone.
 */
export function threadWrites(db: Db, classifyTimeoutSeconds: number | null) {
  return new GroupWrites<NewThread, CreatedThread>(
    async (items) => {
      try {
        return (await createThreads(db, items, classifyTimeoutSeconds)).map((value) => ({ status: 'fulfilled', value }) as const);
      } catch (err) {
        if (items.length === 1 || databaseFault(err)) throw err;
        return Promise.allSettled(items.map((item) => createThreads(db, [item], classifyTimeoutSeconds).then(([c]) => c!)));
      }
    },
    { concurrency: 2, maxItems: 100 },
  );
}

const conversation = statement((db: Db) =>
  db
    .select({ question: questionAnswers.question, answer: questionAnswers.answer })
    .from(questionAnswers)
    .where(and(eq(questionAnswers.threadId, sql.placeholder('threadId')), eq(questionAnswers.projectId, sql.placeholder('projectId'))))
    .orderBy(asc(questionAnswers.position)),
);

/** The conversation so far, oldest first; null when the thread is not one of this project's. */
export async function getConversation(db: Db, p: { projectId: string; threadId: string }): Promise<Turn[] | null> {
  const turns = await conversation(db, p);
  return turns.length > 0 ? turns : null;
}

/** Appends a follow-up in one statement; null when the thread is not one of this project's. */
export async function appendQuestionAnswer(
  db: DbOrTx,
  p: { projectId: string; threadId: string; question: string; answer: string; usage: Usage },
): Promise<string | null> {
  const [row] = await rows<{ id: string }>(db, sql`
    with t as (
      update threads set total_questions = total_questions + 1, updated_at = now()
      where id = ${p.threadId} and project_id = ${p.projectId}
      returning id, total_questions
    )
    insert into question_answers (thread_id, project_id, position, question, answer, model, prompt_tokens, completion_tokens, latency_ms)
    select t.id, ${p.projectId}, t.total_questions, ${p.question}, ${p.answer},
      ${p.usage.model}, ${p.usage.promptTokens}::int, ${p.usage.completionTokens}::int, ${p.usage.latencyMs}::int from t
    returning id`);
  return row?.id ?? null;
}

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
          guided ? unlabelledHours(f) : f.categoryId === null ? isNull(threads.categoryId) : f.categoryId ? eq(threads.categoryId, v('categoryId')) : undefined,
          f.categorySource ? eq(threads.categorySource, v('categorySource')) : undefined,
          f.cursor ? sql`(${at}, ${threads.id}) ${sql.raw(sync ? '>' : '<')} (${v('cursorAt')}::timestamptz, ${v('cursorId')}::uuid)` : undefined,
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
            : [...(f.categoryId !== undefined ? [asc(threads.categoryId)] : []), desc(threads.createdAt), desc(threads.id)]),
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
  const [row] = await rows<{ at: string }>(db, sql`
    select coalesce(min(xact_start), now())::text as at from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null and backend_type = 'client backend'`);
  return row!.at;
}

/**
 * Newest first, keyset-paginated on (created_at, id): every page is one index range scan. With
 * updatedSince, oldest change first on (updated_at, id), up to the sync horizon.
 */
export async function listThreads(db: Db, p: ListThreadsParams) {
  const shape = [p.createdAfter, p.createdBefore, p.updatedSince, p.categoryId === null ? 'none' : p.categoryId, p.categorySource, p.cursor]
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

const thisProjects = and(eq(threads.id, v('threadId')), eq(threads.projectId, v('projectId')));
const threadStatement = statement((db: Db) => db.select(threadColumns).from(threads).leftJoin(categories, withCategory).where(thisProjects));
const questionAnswerColumns = {
  id: questionAnswers.id,
  question: questionAnswers.question,
  answer: questionAnswers.answer,
  createdAt: questionAnswers.createdAt,
  model: questionAnswers.model,
  promptTokens: questionAnswers.promptTokens,
  completionTokens: questionAnswers.completionTokens,
  latencyMs: questionAnswers.latencyMs,
  upvotes: questionAnswers.upvotes,
  downvotes: questionAnswers.downvotes,
};
const questionAnswersStatement = statement((db: Db) =>
  db
    .select(questionAnswerColumns)
    .from(questionAnswers)
    .where(and(eq(questionAnswers.threadId, v('threadId')), eq(questionAnswers.projectId, v('projectId'))))
    .orderBy(asc(questionAnswers.position)),
);
// A join on the page's ids, not `thread_id = any(ids)`: with 2,000 ids PostgreSQL turns the latter into a
// bitmap scan that costs 5 times the 2,000 index lookups (measured: 62 ms against 12 ms per page).
const manyQuestionAnswersStatement = statement((db: Db) =>
  db
    .select({ ...questionAnswerColumns, threadId: questionAnswers.threadId })
    .from(sql`unnest(${v('threadIds')}::uuid[]) as page(id)`)
    .innerJoin(questionAnswers, and(sql`${questionAnswers.threadId} = page.id`, eq(questionAnswers.projectId, v('projectId'))))
    .orderBy(asc(questionAnswers.threadId), asc(questionAnswers.position)),
);

/**
 * Threads of a list page with their question-answers in order, each with its reactions newest first (the
 * NDJSON export): two more statements a page, one for the question-answers, one for their reactions.
 */
export async function withQuestionAnswers<T extends { id: string }>(db: Db, projectId: string, page: T[]) {
  const answers = page.length ? await manyQuestionAnswersStatement(db, { projectId, threadIds: `{${page.map((t) => t.id).join(',')}}` }) : [];
  // Every reaction is counted in its answer's upvotes or downvotes: only answers with a count have any to read
  // (and a page without any reads none).
  const reacted = answers.filter((qa) => qa.upvotes + qa.downvotes > 0).map((qa) => qa.id);
  const reactions = await feedbackOf(db, { projectId, questionAnswerIds: reacted });
  const all = answers.map((qa) => ({ ...qa, reactions: reactions.get(qa.id) ?? [] }));
  const byThread = new Map<string, typeof all>();
  for (const qa of all) {
    const list = byThread.get(qa.threadId);
    if (list) list.push(qa);
    else byThread.set(qa.threadId, [qa]);
  }
  return page.map((t) => ({ ...t, questionAnswers: byThread.get(t.id) ?? [] }));
}

/** One thread with its question-answers in order; null when it is not one of this project's. */
export async function getThread(db: Db, p: { projectId: string; threadId: string }) {
  const [thread] = await threadStatement(db, p);
  if (!thread) return null;
  return { ...thread, questionAnswers: await questionAnswersStatement(db, p) };
}
