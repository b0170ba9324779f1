import { Readable } from 'node:stream';
import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import { conversation, saveAnswer, type Ask, type Grounded } from '../chat/answer.js';
import { toErrorReply } from '../error-reply.js';
import type { AnswerStream, Usage } from '../models/llm.js';
import type { RelevantSource } from '../models/rag.js';
import { errors, NotBlank, ProjectParams, Uuid } from '../schemas/common.js';
import { RelevantSources } from '../schemas/threads.js';
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
  relevant_sources: RelevantSources,
});

const EVENTS = `Server-sent events: \`event: delta\` with \`data: {"text": "..."}\` for each piece of the answer, then one
\`event: done\` with the /chat answer's body once the question-answer is stored, or one \`event: error\` with the error shape
(nothing stored). A client that disconnects aborts the model call; nothing is stored.`;

const chat: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  const schema = {
    tags: ['chat'],
    security: [{ apiKey: [] }],
    params: ProjectParams,
    body: ChatBody,
  };

  app.post(
    '/chat',
    {
      schema: {
        ...schema,
        summary: 'Ask a question; starts a thread, or continues one with thread_id',
        response: { 200: ChatResponse, ...errors(404, 503) },
      },
    },
    async (request) => {
      const ask = { projectId: request.project.id, question: request.body.question, threadId: request.body.thread_id };
      const { prompt, sources } = await grounded(app, ask);
      const { text, usage } = await app.rag.llm.complete(prompt);
      return save(app, ask, { text, usage, sources });
    },
  );

  app.post(
    '/chat/stream',
    {
      schema: {
        ...schema,
        summary: 'Ask a question and receive the answer as it is written (server-sent events)',
        description: `${EVENTS} Errors found before the model answers (a model that fails before its first piece included) are JSON errors.`,
        response: {
          200: {
            description: EVENTS,
            content: { 'text/event-stream': { schema: Type.Unsafe<Readable>({ type: 'string' }) } },
          },
          ...errors(404, 503),
        },
      },
    },
    async (request, reply) => {
      const ask = { projectId: request.project.id, question: request.body.question, threadId: request.body.thread_id };
      const { prompt, sources } = await grounded(app, ask);
      const disconnected = new AbortController();
      reply.raw.once('close', () => reply.raw.writableFinished || disconnected.abort());
      let pieces: AnswerStream;
      try {
        pieces = await app.rag.llm.stream(prompt, disconnected.signal);
      } catch (err) {
        if (!disconnected.signal.aborted) throw err;
        // Gone before the first piece: nobody to answer, nothing to store.
        request.log.info('client disconnected before the answer began');
        return reply.hijack();
      }
      reply.header('content-type', 'text/event-stream; charset=utf-8').header('cache-control', 'no-cache');
      return reply.send(Readable.from(events(app, ask, sources, pieces, disconnected.signal, request.log)));
    },
  );
  done();
};

/** The RAG prompt of a chat and the sources it cites: a 404 for a thread_id the project does not have. */
async function grounded(app: FastifyInstance, ask: Ask): Promise<Grounded> {
  const found = await conversation({ db: app.db, retriever: app.rag.retriever }, ask);
  if (!found) throw notFound('thread');
  return found;
}

/** Stores the question-answer and gives the chat's answer; a 404 when the thread of a follow-up is gone. */
async function save(app: FastifyInstance, ask: Ask, answer: { text: string; usage: Usage; sources: RelevantSource[] }) {
  const saved = await saveAnswer(app, ask, answer);
  if (!saved) throw notFound('thread');
  return {
    question: ask.question,
    answer: answer.text,
    question_answer_id: saved.questionAnswerId,
    thread_id: saved.threadId,
    relevant_sources: answer.sources,
  };
}

const event = (name: string, data: unknown) => `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;

/** The answer's pieces as delta events, then done once stored, or error; nothing at all once the client has gone. */
async function* events(
  app: FastifyInstance,
  ask: Ask,
  sources: RelevantSource[],
  pieces: AnswerStream,
  disconnected: AbortSignal,
  log: FastifyBaseLogger,
) {
  let answer = '';
  try {
    for (;;) {
      const piece = await pieces.next();
      if (piece.done) {
        if (disconnected.aborted) return;
        yield event('done', await save(app, ask, { text: answer, usage: piece.value, sources }));
        return;
      }
      answer += piece.value;
      yield event('delta', { text: piece.value });
    }
  } catch (err) {
    if (disconnected.aborted) return;
    yield event('error', toErrorReply(err as FastifyError, log).body);
  }
}

export default chat;
