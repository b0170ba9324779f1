import { index, integer, jsonb, pgEnum, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { projects } from './projects.js';
import { threads } from './threads.js';

export const questionAnswers = pgTable(
  'question_answers',
  {
    id: uuid().primaryKey().defaultRandom(),
    threadId: uuid()
      .notNull()
      .references(() => threads.id, { onDelete: 'cascade' }),
    // Carried on every row so that every query can put the tenant in its where clause.
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    // 1 for the first question, then the thread's total_questions at the time of the follow-up: the order.
    position: integer().notNull(),
    question: text().notNull(),
    answer: text().notNull(),
    // What the answer cost; null on rows written before usage was recorded.
    model: text(),
    promptTokens: integer(),
    completionTokens: integer(),
    latencyMs: integer(),
    // The documents the answer was built from, best first: [{title, url}]; null on rows written before.
    relevantSources: jsonb().$type<{ title: string; url: string | null }[]>(),
    // Feedback counts, kept in the transaction that records each reaction.
    upvotes: integer().notNull().default(0),
    downvotes: integer().notNull().default(0),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('question_answers_thread_position_key').on(t.threadId, t.position),
    // Questions asked per project and period (usage reports).
    index('question_answers_project_created_idx').on(t.projectId, t.createdAt),
  ],
);

export const reaction = pgEnum('reaction', ['upvote', 'downvote']);

/** Reactions to answers: one row per identified user and question-answer, one per call without an identifier. */
export const feedback = pgTable(
  'feedback',
  {
    id: uuid().primaryKey().defaultRandom(),
    questionAnswerId: uuid()
      .notNull()
      .references(() => questionAnswers.id, { onDelete: 'cascade' }),
    projectId: uuid()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    reaction: reaction().notNull(),
    comment: text(),
    userIdentifier: text(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  // Anonymous rows (a null identifier) never conflict: nulls are distinct.
  (t) => [uniqueIndex('feedback_question_answer_user_key').on(t.questionAnswerId, t.userIdentifier)],
);
