import { Type, type Static } from '@sinclair/typebox';
import type { getThread } from '../db/queries/threads.js';
import type { withQuestionAnswers } from '../db/queries/thread-export.js';
import type { ThreadRecord } from '../db/queries/thread-list.js';
import type { FeedbackRecord } from '../db/queries/feedback.js';
import { categorySource, reaction } from '../db/schema/index.js';
import { Nullable, Timestamp, Uuid } from './common.js';

/** Who set a thread's label: the values of the database enum. */
export const CategorySource = Type.Union(
  categorySource.enumValues.map((v) => Type.Literal(v)),
  { description: 'who set the label' },
);

export const Usage = Type.Object(
  {
    model: Type.String({ description: 'the model that answered (stand-in: "stand-in")' }),
    prompt_tokens: Type.Integer({ minimum: 0 }),
    completion_tokens: Type.Integer({ minimum: 0 }),
    latency_ms: Type.Integer({ minimum: 0, description: 'the whole model call, retries included' }),
  },
  { description: 'what the answer cost; null for answers stored before usage was recorded' },
);

export const FeedbackCounts = Type.Object(
  { upvotes: Type.Integer({ minimum: 0 }), downvotes: Type.Integer({ minimum: 0 }) },
  { description: 'reactions to the answer: the latest of each identified user, and every anonymous one' },
);

/** One reaction to an answer, as its feedback list (and the NDJSON export) shows it. */
export const Feedback = Type.Object({
  reaction: Type.Union(reaction.enumValues.map((r) => Type.Literal(r))),
  comment: Nullable(Type.String()),
  user_identifier: Nullable(Type.String({ description: 'your id for the user; null for an anonymous reaction' })),
  created_at: Timestamp('when the reaction was first given'),
  updated_at: Timestamp("the last change: an identified user's later reaction replaces their earlier one"),
});

export const toFeedback = (f: FeedbackRecord): Static<typeof Feedback> => ({
  reaction: f.reaction,
  comment: f.comment,
  user_identifier: f.userIdentifier,
  created_at: f.createdAt.toISOString(),
  updated_at: f.updatedAt.toISOString(),
});

/** A document an answer was built from. */
export const RelevantSource = Type.Object({
  title: Type.String({ description: "the document's title" }),
  url: Nullable(Type.String({ description: "the document's URL; null for an uploaded file given none" })),
});

export const RelevantSources = Type.Array(RelevantSource, {
  maxItems: 5,
  description:
    'the distinct documents whose excerpts the answer was built from, best first, at most 5; empty when the ' +
    'documentation holds nothing relevant to the question (the answer then says it does not cover it)',
});

export const QuestionAnswer = Type.Object({
  id: Uuid(),
  question: Type.String(),
  answer: Type.String(),
  created_at: Timestamp(),
  usage: Type.Union([Usage, Type.Null()]),
  relevant_sources: RelevantSources,
  feedback: FeedbackCounts,
});

export const Thread = Type.Object({
  id: Uuid(),
  project: Uuid('id of the project'),
  created_at: Timestamp(),
  updated_at: Timestamp('the last change: a follow-up, a label set, changed or cleared, feedback'),
  first_question: Type.String(),
  total_questions: Type.Integer({ minimum: 1 }),
  category: Nullable(Type.Object({ id: Uuid(), name: Type.String(), description: Type.String() })),
  category_source: Nullable(CategorySource),
  categorized_at: Nullable(Timestamp()),
});

export const ThreadDetail = Type.Composite([Thread, Type.Object({ question_answers: Type.Array(QuestionAnswer) })]);

export const ThreadPage = Type.Object({
  results: Type.Array(Thread),
  next: Type.Union([Type.String(), Type.Null()], { description: 'cursor of the next page; null on the last page' }),
});

type ThreadRow = Omit<ThreadRecord, 'cursorAt'>;

/** A thread as the API shows it: the one place its rows become JSON. */
export const toThread = (t: ThreadRow): Static<typeof Thread> => ({
  id: t.id,
  project: t.projectId,
  created_at: t.createdAt.toISOString(),
  updated_at: t.updatedAt.toISOString(),
  first_question: t.firstQuestion,
  total_questions: t.totalQuestions,
  category: t.category,
  category_source: t.categorySource,
  categorized_at: t.categorizedAt?.toISOString() ?? null,
});

export const toThreadDetail = (t: NonNullable<Awaited<ReturnType<typeof getThread>>>): Static<typeof ThreadDetail> => ({
  ...toThread(t),
  question_answers: t.questionAnswers.map((qa) => ({
    id: qa.id,
    question: qa.question,
    answer: qa.answer,
    created_at: qa.createdAt.toISOString(),
    usage:
      qa.model === null
        ? null
        : {
            model: qa.model,
            prompt_tokens: qa.promptTokens ?? 0,
            completion_tokens: qa.completionTokens ?? 0,
            latency_ms: qa.latencyMs ?? 0,
          },
    // Answers stored before sources were cited cite none.
    relevant_sources: qa.relevantSources ?? [],
    feedback: { upvotes: qa.upvotes, downvotes: qa.downvotes },
  })),
});

/**
 * A line of the NDJSON export: the thread detail, where each question-answer's feedback also lists its
 * reactions (`feedback.results`, newest first, as its feedback list shows them).
 */
export const ExportThread = Type.Composite([
  Thread,
  Type.Object({
    question_answers: Type.Array(
      Type.Composite([
        Type.Omit(QuestionAnswer, ['feedback']),
        Type.Object({ feedback: Type.Composite([FeedbackCounts, Type.Object({ results: Type.Array(Feedback) })]) }),
      ]),
    ),
  }),
]);

type ExportRecord = Awaited<ReturnType<typeof withQuestionAnswers<ThreadRecord>>>[number];
export const toExportThread = (t: ExportRecord): Static<typeof ExportThread> => {
  const detail = toThreadDetail(t);
  return {
    ...detail,
    question_answers: detail.question_answers.map((qa, i) => ({
      ...qa,
      feedback: { ...qa.feedback, results: t.questionAnswers[i].reactions.map(toFeedback) },
    })),
  };
};
