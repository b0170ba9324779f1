import { index, integer, pgTable, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
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
    // What the answer cost (SPEC §9); null on rows written before usage was recorded.
    model: text(),
    promptTokens: integer(),
    completionTokens: integer(),
    latencyMs: integer(),
    createdAt: timestamp({ withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('question_answers_thread_position_key').on(t.threadId, t.position),
    // Questions asked per project and period (usage reports).
    index('question_answers_project_created_idx').on(t.projectId, t.createdAt),
  ],
);
