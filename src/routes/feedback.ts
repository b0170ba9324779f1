import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { recordFeedback } from '../db/queries/feedback.js';
import { reaction } from '../db/schema/index.js';
import { errors, NotBlank, ProjectParams, Text, Uuid } from '../schemas/common.js';
import { FeedbackCounts } from '../schemas/threads.js';
import { notFound } from '../errors.js';

const feedback: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/question-answers/:question_answer_id/feedback',
    {
      schema: {
        tags: ['feedback'],
        summary: "React to an answer: an identified user's later reaction replaces their earlier one; each anonymous one counts",
        security: [{ apiKey: [] }],
        params: Type.Composite([ProjectParams, Type.Object({ question_answer_id: Uuid() })]),
        body: Type.Object(
          {
            reaction: Type.Union(reaction.enumValues.map((r) => Type.Literal(r))),
            comment: Type.Optional(Text({ maxLength: 2000, description: 'at most 2,000 characters' })),
            user_identifier: Type.Optional(NotBlank({ maxLength: 200, description: 'your id for the user, not blank, at most 200 characters' })),
          },
          { additionalProperties: false },
        ),
        response: { 200: Type.Composite([Type.Object({ question_answer_id: Uuid() }), FeedbackCounts]), ...errors(404) },
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
};

export default feedback;
