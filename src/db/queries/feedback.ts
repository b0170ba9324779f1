import { and, eq, sql } from 'drizzle-orm';
import { run, type Db } from '../client.js';
import { feedback, questionAnswers, threads } from '../schema/index.js';

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
        .select({ threadId: questionAnswers.threadId, upvotes: questionAnswers.upvotes, downvotes: questionAnswers.downvotes })
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
      if (row && row.reaction === p.reaction && row.comment === comment) return { upvotes: qa.upvotes, downvotes: qa.downvotes };
      earlier = row?.reaction ?? null;
    }
    await run(
      tx
        .insert(feedback)
        .values({ questionAnswerId: p.questionAnswerId, projectId: p.projectId, reaction: p.reaction, comment, userIdentifier: p.userIdentifier })
        .onConflictDoUpdate({
          target: [feedback.questionAnswerId, feedback.userIdentifier],
          set: { reaction: p.reaction, comment, updatedAt: sql`now()` },
        }),
    );
    const delta = (r: Reaction) => (p.reaction === r ? 1 : 0) - (earlier === r ? 1 : 0);
    const [counts] = await run(
      tx
        .update(questionAnswers)
        .set({ upvotes: sql`${questionAnswers.upvotes} + ${delta('upvote')}::int`, downvotes: sql`${questionAnswers.downvotes} + ${delta('downvote')}::int` })
        .where(eq(questionAnswers.id, p.questionAnswerId))
        .returning({ upvotes: questionAnswers.upvotes, downvotes: questionAnswers.downvotes }),
    );
    await run(tx.update(threads).set({ updatedAt: sql`now()` }).where(eq(threads.id, qa.threadId)));
    return counts!;
  });
}
