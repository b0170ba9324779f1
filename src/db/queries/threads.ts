import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import { rows, statement, type Db, type DbOrTx } from '../client.js';
import { categories, questionAnswers, threads } from '../schema/index.js';
import type { Usage } from '../../models/llm.js';
import type { Turn } from '../../models/rag.js';
import { newThreadJob } from '../../jobs/specs.js';
import { feedbackOf } from './feedback.js';
import { databaseFault } from '../pg-errors.js';
import { GroupWrites } from '../group-writes.js';

/** A thread as the API shows it, with its category (null while unlabelled). */
export const threadColumns = {
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
export const withCategory = and(eq(categories.id, threads.categoryId), eq(categories.projectId, threads.projectId));

export interface NewThread {
  projectId: string;
  question: string;
  answer: string;
  usage: Usage;
}

/** A question-answer's usage columns as json_to_recordset reads them. */
const usageJson = (u: Usage) => ({
  model: u.model,
  prompt_tokens: u.promptTokens,
  completion_tokens: u.completionTokens,
  latency_ms: u.latencyMs,
});
export interface CreatedThread {
  threadId: string;
  questionAnswerId: string;
}

/**
 * Threads, their first question-answers and their classification jobs, in one statement: all written or
 * none (C4). Each job holds its thread for `classifyTimeoutSeconds`; with null (categorisation off) no job
 * is added and the threads are left for the sweep.
 */
export async function createThreads(
  db: DbOrTx,
  items: NewThread[],
  classifyTimeoutSeconds: number | null,
): Promise<CreatedThread[]> {
  const created = items.map(() => ({ threadId: randomUUID(), questionAnswerId: randomUUID() }));
  const input = JSON.stringify(
    items.map((item, i) => ({
      id: created[i].threadId,
      qa_id: created[i].questionAnswerId,
      project_id: item.projectId,
      question: item.question,
      answer: item.answer,
      ...usageJson(item.usage),
    })),
  );
  const classify = classifyTimeoutSeconds !== null;
  const due = classify
    ? sql`now() + make_interval(secs => ${classifyTimeoutSeconds}::int)`
    : sql`'-infinity'::timestamptz`;
  // A CTE that only selects runs only if referenced: the final select counts `job` so every job is added.
  await rows(
    db,
    sql`
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
    select (select count(*) from qa) as written${classify ? sql`, (select count(*) from job) as jobs` : sql``}`,
  );
  return created;
}

/** One new thread (createThreads of one). */
export async function createThread(
  db: DbOrTx,
  p: NewThread & { classifyTimeoutSeconds: number | null },
): Promise<CreatedThread> {
  const [created] = await createThreads(db, [p], p.classifyTimeoutSeconds);
  return created;
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
        return (await createThreads(db, items, classifyTimeoutSeconds)).map(
          (value) => ({ status: 'fulfilled', value }) as const,
        );
      } catch (err) {
        if (items.length === 1 || databaseFault(err)) throw err;
        return Promise.allSettled(
          items.map((item) => createThreads(db, [item], classifyTimeoutSeconds).then(([c]) => c)),
        );
      }
    },
    { concurrency: 2, maxItems: 100 },
  );
}

const conversation = statement((db: Db) =>
  db
    .select({ question: questionAnswers.question, answer: questionAnswers.answer })
    .from(questionAnswers)
    .where(
      and(
        eq(questionAnswers.threadId, sql.placeholder('threadId')),
        eq(questionAnswers.projectId, sql.placeholder('projectId')),
      ),
    )
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
  const [row] = await rows<{ id: string }>(
    db,
    sql`
    with t as (
      update threads set total_questions = total_questions + 1, updated_at = now()
      where id = ${p.threadId} and project_id = ${p.projectId}
      returning id, total_questions
    )
    insert into question_answers (thread_id, project_id, position, question, answer, model, prompt_tokens, completion_tokens, latency_ms)
    select t.id, ${p.projectId}, t.total_questions, ${p.question}, ${p.answer},
      ${p.usage.model}, ${p.usage.promptTokens}::int, ${p.usage.completionTokens}::int, ${p.usage.latencyMs}::int from t
    returning id`,
  );
  return row?.id ?? null;
}

const v = sql.placeholder;

const thisProjects = and(eq(threads.id, v('threadId')), eq(threads.projectId, v('projectId')));
const threadStatement = statement((db: Db) =>
  db.select(threadColumns).from(threads).leftJoin(categories, withCategory).where(thisProjects),
);
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
    .innerJoin(
      questionAnswers,
      and(sql`${questionAnswers.threadId} = page.id`, eq(questionAnswers.projectId, v('projectId'))),
    )
    .orderBy(asc(questionAnswers.threadId), asc(questionAnswers.position)),
);

/**
 * Threads of a list page with their question-answers in order, each with its reactions newest first (the
 * NDJSON export): two more statements a page, one for the question-answers, one for their reactions.
 */
export async function withQuestionAnswers<T extends { id: string }>(db: Db, projectId: string, page: T[]) {
  const answers = page.length
    ? await manyQuestionAnswersStatement(db, { projectId, threadIds: `{${page.map((t) => t.id).join(',')}}` })
    : [];
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
