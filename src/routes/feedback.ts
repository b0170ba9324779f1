import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { feedbackTotals, listFeedback, recordFeedback } from '../db/queries/feedback.js';
import { reaction } from '../db/schema/index.js';
import { DateTimeFilter, errors, NotBlank, ProjectParams, Text, Uuid } from '../schemas/common.js';
import { Feedback, FeedbackCounts, toFeedback } from '../schemas/threads.js';
import { notFound } from '../errors.js';
import { encodeCursor } from '../schemas/cursor.js';
import { pageRequest } from './paging.js';

const QuestionAnswerParams = Type.Composite([ProjectParams, Type.Object({ question_answer_id: Uuid() })]);

// The list's one "filter" is its question-answer: a cursor of one answer's list is refused on another's.
const ListFilters = Type.Object({ question_answer_id: Uuid() });

const ListQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    cursor: Type.Optional(Type.String({ maxLength: 1000, description: 'the `next` of the previous page' })),
  },
  { additionalProperties: false },
);

const AnswerWindow = Type.Object(
  {
    created_after: Type.Optional(DateTimeFilter('answers given at or after this time')),
    created_before: Type.Optional(DateTimeFilter('answers given before this time')),
  },
  { additionalProperties: false },
);

const FeedbackTotals = Type.Composite([
  FeedbackCounts,
  Type.Object({
    answers: Type.Integer({ minimum: 0, description: 'answers given in the window' }),
    answers_with_feedback: Type.Integer({ minimum: 0, description: 'of them, those with any reaction' }),
  }),
]);

const feedback: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/feedback/stats',
    {
      schema: {
        tags: ['feedback'],
        summary: "Reactions to the project's answers, summed over the answers given in an optional time window",
        security: [{ apiKey: [] }],
        params: ProjectParams,
        querystring: AnswerWindow,
        response: { 200: FeedbackTotals },
      },
    },
    async (request) => {
      const totals = await feedbackTotals(app.db, {
        projectId: request.project.id,
        createdAfter: request.query.created_after,
        createdBefore: request.query.created_before,
      });
      return {
        upvotes: totals.upvotes,
        downvotes: totals.downvotes,
        answers: totals.answers,
        answers_with_feedback: totals.answersWithFeedback,
      };
    },
  );

  app.get(
    '/question-answers/:question_answer_id/feedback',
    {
      schema: {
        tags: ['feedback'],
        summary: 'The reactions to an answer with their comments, newest first, cursor-paginated',
        security: [{ apiKey: [] }],
        params: QuestionAnswerParams,
        querystring: ListQuery,
        response: {
          200: Type.Object({
            results: Type.Array(Feedback),
            next: Type.Union([Type.String(), Type.Null()], {
              description: 'cursor of the next page; null on the last page',
            }),
          }),
          ...errors(404),
        },
      },
    },
    async (request) => {
      const filters = { question_answer_id: request.params.question_answer_id };
      const query = { ...request.query, ...filters };
      const { limit, after: position } = pageRequest('feedback', query, ListFilters);
      const page = await listFeedback(app.db, {
        projectId: request.project.id,
        questionAnswerId: request.params.question_answer_id,
        limit,
        cursor: position,
      });
      if (!page) throw notFound('question-answer');
      return {
        results: page.feedback.map(toFeedback),
        next: page.next && encodeCursor('feedback', filters, page.next),
      };
    },
  );

  app.post(
    '/question-answers/:question_answer_id/feedback',
    {
      schema: {
        tags: ['feedback'],
        summary:
          "React to an answer: an identified user's later reaction replaces their earlier one; each anonymous one counts",
        security: [{ apiKey: [] }],
        params: QuestionAnswerParams,
        body: Type.Object(
          {
            reaction: Type.Union(reaction.enumValues.map((r) => Type.Literal(r))),
            comment: Type.Optional(Text({ maxLength: 2000, description: 'at most 2,000 characters' })),
            user_identifier: Type.Optional(
              NotBlank({ maxLength: 200, description: 'your id for the user, not blank, at most 200 characters' }),
            ),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Composite([Type.Object({ question_answer_id: Uuid() }), FeedbackCounts]),
          ...errors(404),
        },
      },
    },
    async (request) => {
      const { question_answer_id: questionAnswerId } = request.params;
      const counts = await recordFeedback(app.db, {
        projectId: request.project.id,
        questionAnswerId,
        reaction: request.body.reaction,
        comment: request.body.comment,
        userIdentifier: request.body.user_identifier,
      });
      if (!counts) throw notFound('question-answer');
      return { question_answer_id: questionAnswerId, ...counts };
    },
  );
  done();
};

export default feedback;
