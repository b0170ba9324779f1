import { and, asc, desc, eq, sql } from 'drizzle-orm';
import { rows, run, statement, type Db } from '../client.js';
import { feedback, questionAnswers, threads } from '../schema/index.js';
import type { Position } from '../../schemas/cursor.js';

export type Reaction = (typeof feedback.$inferInsert)['reaction'];

/**
 * Records a reaction to an answer and returns its counts; null when the question-answer is not one of the
 * project's. An identified user's later reaction replaces their earlier one (the same again changes
 * nothing); each anonymous one counts. The question-answer's row is locked first, so reactions to one
 * answer are counted one at a time, and the counts, the reaction and the thread's updated_at are written
 * in one transaction.
 */
export async function recordFeedback(
  db: Db,
  p: { projectId: string; questionAnswerId: string; reaction: Reaction; comment?: string; userIdentifier?: string },
): Promise<{ upvotes: number; downvotes: number } | null> {
  return db.transaction(async (tx) => {
    const [qa] = await run(
      tx
        .select({
          threadId: questionAnswers.threadId,
          upvotes: questionAnswers.upvotes,
          downvotes: questionAnswers.downvotes,
        })
        .from(questionAnswers)
        .where(and(eq(questionAnswers.id, p.questionAnswerId), eq(questionAnswers.projectId, p.projectId)))
        .for('update'),
    );
    if (!qa) return null;
    const comment = p.comment ?? null;
    let earlier: Reaction | null = null;
    if (p.userIdentifier !== undefined) {
      const [row] = await run(
        tx
          .select({ reaction: feedback.reaction, comment: feedback.comment })
          .from(feedback)
          .where(and(eq(feedback.questionAnswerId, p.questionAnswerId), eq(feedback.userIdentifier, p.userIdentifier))),
      );
      if (row && row.reaction === p.reaction && row.comment === comment)
        return { upvotes: qa.upvotes, downvotes: qa.downvotes };
      earlier = row?.reaction ?? null;
    }
    await run(
      tx
        .insert(feedback)
        .values({
          questionAnswerId: p.questionAnswerId,
          projectId: p.projectId,
          reaction: p.reaction,
          comment,
          userIdentifier: p.userIdentifier,
        })
        .onConflictDoUpdate({
          target: [feedback.questionAnswerId, feedback.userIdentifier],
          set: { reaction: p.reaction, comment, updatedAt: sql`now()` },
        }),
    );
    const delta = (r: Reaction) => (p.reaction === r ? 1 : 0) - (earlier === r ? 1 : 0);
    const [counts] = await run(
      tx
        .update(questionAnswers)
        .set({
          upvotes: sql`${questionAnswers.upvotes} + ${delta('upvote')}::int`,
          downvotes: sql`${questionAnswers.downvotes} + ${delta('downvote')}::int`,
        })
        .where(eq(questionAnswers.id, p.questionAnswerId))
        .returning({ upvotes: questionAnswers.upvotes, downvotes: questionAnswers.downvotes }),
    );
    await run(
      tx
        .update(threads)
        .set({ updatedAt: sql`now()` })
        .where(eq(threads.id, qa.threadId)),
    );
    return counts;
  });
}

/** A reaction as the feedback list shows it. */
const feedbackColumns = {
  reaction: feedback.reaction,
  comment: feedback.comment,
  userIdentifier: feedback.userIdentifier,
  createdAt: feedback.createdAt,
  updatedAt: feedback.updatedAt,
};
export type FeedbackRecord = {
  reaction: Reaction;
  comment: string | null;
  userIdentifier: string | null;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * A page of the reactions to one of the project's answers, newest first (by when each was first given; a
 * replaced reaction keeps its place, so pages never skip or repeat one), keyset-paginated on (created_at, id).
 * Null when the question-answer is not one of the project's.
 */
export async function listFeedback(
  db: Db,
  p: { projectId: string; questionAnswerId: string; limit: number; cursor?: Position },
) {
  const [qa] = await run(
    db
      .select({ id: questionAnswers.id })
      .from(questionAnswers)
      .where(and(eq(questionAnswers.id, p.questionAnswerId), eq(questionAnswers.projectId, p.projectId))),
  );
  if (!qa) return null;
  const page = await run(
    db
      .select({ ...feedbackColumns, id: feedback.id, cursorAt: sql<string>`${feedback.createdAt}::text` })
      .from(feedback)
      .where(
        and(
          eq(feedback.questionAnswerId, p.questionAnswerId),
          eq(feedback.projectId, p.projectId),
          // The position as text: a JS Date would drop the microseconds and skip or repeat rows.
          p.cursor
            ? sql`(${feedback.createdAt}, ${feedback.id}) < (${p.cursor.at}::timestamptz, ${p.cursor.id}::uuid)`
            : undefined,
        ),
      )
      .orderBy(desc(feedback.createdAt), desc(feedback.id))
      .limit(p.limit + 1),
  );
  const more = page.length > p.limit;
  if (more) page.pop();
  const last = page.at(-1);
  return { feedback: page, next: more && last ? { at: last.cursorAt, id: last.id } : null };
}

// A join on the given ids (as the export's question-answers are read), newest first within each answer.
const manyFeedbackStatement = statement((db: Db) =>
  db
    .select({ ...feedbackColumns, questionAnswerId: feedback.questionAnswerId })
    .from(sql`unnest(${sql.placeholder('ids')}::uuid[]) as page(id)`)
    .innerJoin(
      feedback,
      and(sql`${feedback.questionAnswerId} = page.id`, eq(feedback.projectId, sql.placeholder('projectId'))),
    )
    .orderBy(asc(feedback.questionAnswerId), desc(feedback.createdAt), desc(feedback.id)),
);

/** Every reaction to the given answers of the project, by answer, newest first: one statement. */
export async function feedbackOf(
  db: Db,
  p: { projectId: string; questionAnswerIds: string[] },
): Promise<Map<string, FeedbackRecord[]>> {
  const byAnswer = new Map<string, FeedbackRecord[]>();
  if (p.questionAnswerIds.length === 0) return byAnswer;
  for (const { questionAnswerId, ...f } of await manyFeedbackStatement(db, {
    projectId: p.projectId,
    ids: `{${p.questionAnswerIds.join(',')}}`,
  })) {
    const list = byAnswer.get(questionAnswerId);
    if (list) list.push(f);
    else byAnswer.set(questionAnswerId, [f]);
  }
  return byAnswer;
}

/**
 * Reactions to the project's answers, summed over the answers asked in the window: their upvotes and
 * downvotes (as each answer counts them), and how many answers have any.
 */
export async function feedbackTotals(
  db: Db,
  p: { projectId: string; createdAfter?: string; createdBefore?: string },
): Promise<{ upvotes: number; downvotes: number; answers: number; answersWithFeedback: number }> {
  const window = sql.join(
    [
      sql`project_id = ${p.projectId}`,
      ...(p.createdAfter ? [sql`created_at >= ${p.createdAfter}::timestamptz`] : []),
      ...(p.createdBefore ? [sql`created_at < ${p.createdBefore}::timestamptz`] : []),
    ],
    sql` and `,
  );
  const [totals] = await rows<{ upvotes: number; downvotes: number; answers: number; answersWithFeedback: number }>(
    db,
    sql`
    select coalesce(sum(upvotes), 0)::int as upvotes, coalesce(sum(downvotes), 0)::int as downvotes,
      count(*)::int as answers, (count(*) filter (where upvotes + downvotes > 0))::int as "answersWithFeedback"
    from question_answers where ${window}`,
  );
  return totals;
}
