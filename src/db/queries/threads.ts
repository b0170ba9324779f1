// A thread's reads: one thread with its question-answers, and the conversation the chat continues. The
// columns a thread shows (threadColumns) are shared with the list (thread-list.ts) and the export.
import { and, asc, eq, sql } from 'drizzle-orm';
import { statement, type Db } from '../client.js';
import { categories, questionAnswers, threads } from '../schema/index.js';
import type { Turn } from '../../models/rag.js';

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

/** A question-answer as the API shows it. */
export const questionAnswerColumns = {
  id: questionAnswers.id,
  question: questionAnswers.question,
  answer: questionAnswers.answer,
  createdAt: questionAnswers.createdAt,
  model: questionAnswers.model,
  promptTokens: questionAnswers.promptTokens,
  completionTokens: questionAnswers.completionTokens,
  latencyMs: questionAnswers.latencyMs,
  relevantSources: questionAnswers.relevantSources,
  upvotes: questionAnswers.upvotes,
  downvotes: questionAnswers.downvotes,
};

const v = sql.placeholder;
const ofThread = and(eq(questionAnswers.threadId, v('threadId')), eq(questionAnswers.projectId, v('projectId')));

const conversation = statement((db: Db) =>
  db
    .select({ question: questionAnswers.question, answer: questionAnswers.answer })
    .from(questionAnswers)
    .where(ofThread)
    .orderBy(asc(questionAnswers.position)),
);

/** The conversation so far, oldest first; null when the thread is not one of this project's. */
export async function getConversation(db: Db, p: { projectId: string; threadId: string }): Promise<Turn[] | null> {
  const turns = await conversation(db, p);
  return turns.length > 0 ? turns : null;
}

const threadStatement = statement((db: Db) =>
  db
    .select(threadColumns)
    .from(threads)
    .leftJoin(categories, withCategory)
    .where(and(eq(threads.id, v('threadId')), eq(threads.projectId, v('projectId')))),
);
const questionAnswersStatement = statement((db: Db) =>
  db.select(questionAnswerColumns).from(questionAnswers).where(ofThread).orderBy(asc(questionAnswers.position)),
);

/** One thread with its question-answers in order; null when it is not one of this project's. */
export async function getThread(db: Db, p: { projectId: string; threadId: string }) {
  const [thread] = await threadStatement(db, p);
  if (!thread) return null;
  return { ...thread, questionAnswers: await questionAnswersStatement(db, p) };
}
