// The sync's and the NDJSON export's reads beside the list's pages: where the sync order may end, and a
// page's question-answers with their reactions.
import { and, asc, eq, sql } from 'drizzle-orm';
import { rows, statement, type Db } from '../client.js';
import { questionAnswers } from '../schema/index.js';
import { feedbackOf } from './feedback.js';
import { questionAnswerColumns } from './threads.js';

/**
 * Where the sync order may safely end: the start of the oldest transaction still running on this database.
 * updated_at is its transaction's start (now()), and transactions commit in any order: a change written by
 * one that began earlier may still commit. Only changes older than every running transaction are final, so
 * a client that pages up to here and asks again from its largest updated_at never misses one. Read in a
 * statement of its own, before the page's: every transaction that began before the horizon has ended
 * by the time the page's snapshot is taken. (It sees the sessions of our own database role: every writer.)
 */
export async function syncHorizon(db: Db): Promise<string> {
  const [row] = await rows<{ at: string }>(
    db,
    sql`
    select coalesce(min(xact_start), now())::text as at from pg_stat_activity
    where datname = current_database() and pid <> pg_backend_pid() and xact_start is not null and backend_type = 'client backend'`,
  );
  return row.at;
}

// A join on the page's ids, not `thread_id = any(ids)`: with a page of 2,000 ids PostgreSQL turns the latter
// into a bitmap scan that costs several times the 2,000 index lookups.
const manyQuestionAnswersStatement = statement((db: Db) =>
  db
    .select({ ...questionAnswerColumns, threadId: questionAnswers.threadId })
    .from(sql`unnest(${sql.placeholder('threadIds')}::uuid[]) as page(id)`)
    .innerJoin(
      questionAnswers,
      and(sql`${questionAnswers.threadId} = page.id`, eq(questionAnswers.projectId, sql.placeholder('projectId'))),
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
