import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { appendQuestionAnswer, getConversation } from '../db/queries/threads.js';
import { buildMessages } from '../models/rag.js';
import { errors, NotBlank, ProjectParams, Uuid } from '../schemas/common.js';
import { notFound } from '../errors.js';

const ChatBody = Type.Object(
  {
    question: NotBlank({ maxLength: 10_000, description: 'not blank, at most 10,000 characters' }),
    thread_id: Type.Optional(Uuid('continue this thread (a follow-up); omit to start a new thread')),
  },
  { additionalProperties: false },
);

const ChatResponse = Type.Object({
  question: Type.String(),
  answer: Type.String(),
  question_answer_id: Uuid(),
  thread_id: Uuid(),
});

const chat: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/chat',
    {
      schema: {
        tags: ['chat'],
        summary: 'Ask a question; starts a thread, or continues one with thread_id',
        security: [{ apiKey: [] }],
        params: ProjectParams,
        body: ChatBody,
        response: { 200: ChatResponse, ...errors(404, 503) },
      },
    },
    async (request) => {
      const { question, thread_id: threadId } = request.body;
      const projectId = request.project.id;

      const history = threadId ? await getConversation(app.db, { projectId, threadId }) : [];
      if (!history) throw notFound('thread');
      const chunks = await app.rag.retriever.retrieve(projectId, question);
      const { text: answer, usage } = await app.rag.llm.complete(buildMessages(question, chunks, history));

      if (!threadId) {
        const created = await app.threadWrites.add({ projectId, question, answer, usage });
        return { question, answer, question_answer_id: created.questionAnswerId, thread_id: created.threadId };
      }
      const questionAnswerId = await appendQuestionAnswer(app.db, { projectId, threadId, question, answer, usage });
      if (!questionAnswerId) throw notFound('thread');
      return { question, answer, question_answer_id: questionAnswerId, thread_id: threadId };
    },
  );
};

export default chat;
