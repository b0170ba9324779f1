import { STATUS_CODES } from 'node:http';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { FOREIGN_KEY_VIOLATION, pgCode, UNIQUE_VIOLATION } from './db/pg-errors.js';
import { StaticLlm, type LlmClient } from './lib/llm.js';
import { httpDuration, observeBacklog } from './lib/metrics.js';
import { StaticRetriever, type Retriever } from './lib/retriever.js';
import { apiKeyAuth } from './plugins/auth.js';
import swagger from './plugins/swagger.js';
import { validatorCompiler } from './plugins/validation.js';
import admin from './routes/admin.js';
import categories from './routes/categories.js';
import chat from './routes/chat.js';
import health from './routes/health.js';
import threads from './routes/threads.js';
import { AppError } from './errors.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    config: Config;
    rag: { retriever: Retriever; llm: LlmClient };
  }
}

export interface AppOptions {
  config: Config;
  db: Db;
  retriever?: Retriever;
  llm?: LlmClient;
}

function errorBody(statusCode: number, message: string, code?: string) {
  return { statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message, ...(code && { code }) };
}

/** The whole HTTP API as one plugin: server.ts listens with it, tests inject into it. */
export const app: FastifyPluginAsync<AppOptions> = async (fastify, opts) => {
  fastify.decorate('db', opts.db);
  fastify.decorate('config', opts.config);
  fastify.decorate('rag', {
    retriever: opts.retriever ?? new StaticRetriever(),
    llm: opts.llm ?? new StaticLlm(opts.config.LLM_LATENCY_MS),
  });
  observeBacklog(opts.db);

  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
  });

  fastify.setErrorHandler((err: FastifyError, request, reply) => {
    const code = pgCode(err);
    let body;
    if (err instanceof AppError) body = errorBody(err.statusCode, err.message, err.code);
    else if (err.validation) body = errorBody(400, err.message, 'VALIDATION_FAILED');
    else if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) body = errorBody(err.statusCode, err.message, err.code);
    else if (code === UNIQUE_VIOLATION) body = errorBody(409, 'conflicts with an existing resource', 'CONFLICT');
    else if (code === FOREIGN_KEY_VIOLATION) body = errorBody(404, 'a referenced resource does not exist', 'NOT_FOUND');
    // Data exceptions (class 22: a value PostgreSQL cannot take) are the client's input, not our fault.
    else if (code?.startsWith('22')) body = errorBody(400, 'invalid value in request', 'INVALID_VALUE');
    else {
      request.log.error({ err }, 'request failed');
      body = errorBody(500, 'internal error', 'INTERNAL');
    }
    return reply.code(body.statusCode).send(body);
  });

  fastify.setNotFoundHandler((request, reply) =>
    reply.code(404).send(errorBody(404, `route ${request.method} ${request.url.split('?')[0]} not found`, 'ROUTE_NOT_FOUND')),
  );

  fastify.setValidatorCompiler(validatorCompiler);
  // JSON only: any other content type is a 415, not a body that fails validation.
  fastify.removeContentTypeParser('text/plain');

  await fastify.register(swagger);
  await fastify.register(health);
  await fastify.register(admin, { prefix: '/admin/v1', adminToken: opts.config.ADMIN_TOKEN });
  await fastify.register(
    async (project) => {
      project.addHook('onRequest', apiKeyAuth(fastify));
      await project.register(chat);
      await project.register(threads);
      await project.register(categories);
    },
    { prefix: '/query/v1/projects/:project_id' },
  );
};

/** One access-log line per request, written when it completes; never a header, so never an API key. */
class AccessLog extends LogController {
  override incomingRequest() {}
  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply) {
    const line = { method: request.method, url: request.url, statusCode: reply.statusCode, ms: reply.elapsedTime };
    reply.log[error ? 'error' : 'info']({ ...line, key: request.project?.keyPrefix }, 'request');
  }
}

/** A Fastify instance with the app registered, configured as in production. */
export async function buildApp(opts: AppOptions & { logger?: FastifyBaseLogger }) {
  const fastify = Fastify({
    loggerInstance: opts.logger,
    logController: new AccessLog(),
    routerOptions: { ignoreTrailingSlash: true },
    bodyLimit: 256 * 1024,
  }).withTypeProvider<TypeBoxTypeProvider>();
  await fastify.register(app, opts);
  return fastify;
}
