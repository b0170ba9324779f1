import { sql, type SQL } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';
import type { Turn } from '../../models/rag.js';
import { classifyJob, LIVE_PRIORITY } from './jobs.js';

export type ThreadRow = {
  id: string;
  project_id: string;
  created_at: string;
  first_question: string;
  total_questions: number;
  category_id: string | null;
  category_name: string | null;
  category_description: string | null;
  category_source: 'classifier' | 'user' | null;
  categorized_at: string | null;
};

export type QuestionAnswerRow = {
  id: string;
  question: string;
  answer: string;
  created_at: string;
};

const THREAD_COLUMNS = sql`t.id, t.project_id, t.created_at, t.first_question, t.total_questions,
  t.category_id, c.name as category_name, c.description as category_description, t.category_source, t.categorized_at`;
const THREADS_WITH_CATEGORY = sql`threads t left join categories c on c.id = t.category_id and c.project_id = t.project_id`;

/**
 * Thread, first question-answer and its classification job, in one statement: one round trip, and all
 * three are written or none (C4). The job holds the thread for `classifyTimeoutSeconds`; with null
 * (categorisation off) no job is added and the thread is left for the sweep.
 */
export async function createThread(
  db: DbOrTx,
  p: { projectId: string; question: string; answer: string; classifyTimeoutSeconds: number | null },
): Promise<{ threadId: string; questionAnswerId: string }> {
  const classify = p.classifyTimeoutSeconds !== null;
  const due = classify
    ? sql`now() + make_interval(secs => ${p.classifyTimeoutSeconds}::int)`
    : sql`'-infinity'::timestamptz`;
  const job = classify
    ? sql`, job as (select ${classifyJob(sql`${p.projectId}::uuid`, sql`json_build_array(t.id)`, LIVE_PRIORITY)} from t)`
    : sql``;
  // A CTE that only selects runs only if referenced: the final select joins `job` so the job is added.
  const [row] = await db.execute<{ thread_id: string; id: string }>(sql`
    with t as (
      insert into threads (project_id, first_question, classification_due_at)
      values (${p.projectId}, ${p.question}, ${due}) returning id
    ),
    qa as (
      insert into question_answers (thread_id, project_id, position, question, answer)
      select t.id, ${p.projectId}, 1, ${p.question}, ${p.answer} from t
      returning thread_id, id
    )${job}
    select qa.thread_id, qa.id from qa${classify ? sql` cross join job` : sql``}`);
  return { threadId: row!.thread_id, questionAnswerId: row!.id };
}

/** The conversation so far, oldest first; null when the thread is not one of this project's. */
export async function getConversation(
  db: DbOrTx,
  p: { projectId: string; threadId: string },
): Promise<Turn[] | null> {
  const rows = await db.execute<Turn>(sql`
    select question, answer from question_answers
    where thread_id = ${p.threadId} and project_id = ${p.projectId}
    order by position`);
  return rows.length > 0 ? [...rows] : null;
}

/** Appends a follow-up; null when the thread is not one of this project's. */
export async function appendQuestionAnswer(
  db: DbOrTx,
  p: { projectId: string; threadId: string; question: string; answer: string },
): Promise<string | null> {
  const [row] = await db.execute<{ id: string }>(sql`
    with t as (
      update threads set total_questions = total_questions + 1
      where id = ${p.threadId} and project_id = ${p.projectId}
      returning id, total_questions
    )
    insert into question_answers (thread_id, project_id, position, question, answer)
    select t.id, ${p.projectId}, t.total_questions, ${p.question}, ${p.answer} from t
    returning id`);
  return row?.id ?? null;
}

export interface ThreadCursor {
  createdAt: string; // timestamptz as PostgreSQL prints it in UTC, microseconds included
  id: string;
}

export interface ListThreadsParams {
  projectId: string;
  limit: number;
  cursor?: ThreadCursor;
  createdAfter?: string;
  createdBefore?: string;
  /** A category id, or null for unlabelled threads. */
  categoryId?: string | null;
  categorySource?: 'classifier' | 'user';
}

/** Newest first, keyset-paginated on (created_at, id): every page is one index range scan. */
export async function listThreads(
  db: DbOrTx,
  p: ListThreadsParams,
): Promise<{ rows: ThreadRow[]; next: ThreadCursor | null }> {
  const where: SQL[] = [sql`t.project_id = ${p.projectId}`];
  if (p.createdAfter) where.push(sql`t.created_at >= ${p.createdAfter}::timestamptz`);
  if (p.createdBefore) where.push(sql`t.created_at < ${p.createdBefore}::timestamptz`);
  if (p.categoryId === null) where.push(sql`t.category_id is null`);
  else if (p.categoryId) where.push(sql`t.category_id = ${p.categoryId}`);
  if (p.categorySource) where.push(sql`t.category_source = ${p.categorySource}`);
  if (p.cursor) where.push(sql`(t.created_at, t.id) < (${p.cursor.createdAt}::timestamptz, ${p.cursor.id}::uuid)`);
  const rows = await db.execute<ThreadRow>(sql`
    select ${THREAD_COLUMNS} from ${THREADS_WITH_CATEGORY}
    where ${sql.join(where, sql` and `)}
    order by t.created_at desc, t.id desc
    limit ${p.limit + 1}`);
  const page = rows.slice(0, p.limit);
  const last = page.at(-1);
  return { rows: page, next: rows.length > p.limit && last ? { createdAt: last.created_at, id: last.id } : null };
}

export async function getThread(
  db: DbOrTx,
  p: { projectId: string; threadId: string },
): Promise<(ThreadRow & { question_answers: QuestionAnswerRow[] }) | null> {
  const [row] = await db.execute<ThreadRow & { question_answers: QuestionAnswerRow[] }>(sql`
    select ${THREAD_COLUMNS},
      (select coalesce(json_agg(json_build_object(
          'id', qa.id, 'question', qa.question, 'answer', qa.answer, 'created_at', qa.created_at
        ) order by qa.position), '[]'::json)
       from question_answers qa where qa.thread_id = t.id and qa.project_id = t.project_id) as question_answers
    from ${THREADS_WITH_CATEGORY}
    where t.id = ${p.threadId} and t.project_id = ${p.projectId}`);
  return row ?? null;
}
