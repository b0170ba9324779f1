// The chat's writes: a new thread with its first question-answer and its classification job in one
// statement, group-committed under load (GroupWrites), and a follow-up appended in one statement.
import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';
import type { Usage } from '../../models/llm.js';
import type { RelevantSource } from '../../models/rag.js';
import { newThreadJob } from '../../jobs/specs.js';
import { databaseFault } from '../pg-errors.js';
import { GroupWrites } from '../group-writes.js';

export interface NewThread {
  projectId: string;
  question: string;
  answer: string;
  usage: Usage;
  /** The documents the answer cites, best first; none when left out. */
  relevantSources?: RelevantSource[];
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
 * none. Each job holds its thread for `classifyTimeoutSeconds`; with null (categorisation off) no job
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
      relevant_sources: item.relevantSources ?? [],
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
        as i(id uuid, qa_id uuid, project_id uuid, question text, answer text, model text, prompt_tokens int, completion_tokens int, latency_ms int, relevant_sources jsonb)
    ),
    t as (
      insert into threads (id, project_id, first_question, classification_due_at)
      select id, project_id, question, ${due} from input returning id, project_id
    ),
    qa as (
      insert into question_answers (id, thread_id, project_id, position, question, answer, model, prompt_tokens, completion_tokens, latency_ms, relevant_sources)
      select qa_id, id, project_id, 1, question, answer, model, prompt_tokens, completion_tokens, latency_ms, relevant_sources from input returning id
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

/** Appends a follow-up in one statement; null when the thread is not one of this project's. */
export async function appendQuestionAnswer(db: DbOrTx, p: NewThread & { threadId: string }): Promise<string | null> {
  const [row] = await rows<{ id: string }>(
    db,
    sql`
    with t as (
      update threads set total_questions = total_questions + 1, updated_at = now()
      where id = ${p.threadId} and project_id = ${p.projectId}
      returning id, total_questions
    )
    insert into question_answers (thread_id, project_id, position, question, answer, model, prompt_tokens, completion_tokens, latency_ms, relevant_sources)
    select t.id, ${p.projectId}, t.total_questions, ${p.question}, ${p.answer},
      ${p.usage.model}, ${p.usage.promptTokens}::int, ${p.usage.completionTokens}::int, ${p.usage.latencyMs}::int,
      ${JSON.stringify(p.relevantSources ?? [])}::jsonb from t
    returning id`,
  );
  return row?.id ?? null;
}
