import { randomUUID } from 'node:crypto';
import { getHeapStatistics } from 'node:v8';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
  type HTTPMethods,
} from 'fastify';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { Config } from './config.js';
import type { Db } from './db/client.js';
import { threadWrites } from './db/queries/chat-write.js';
import type { LlmClient } from './models/llm.js';
import { answerModel, classifierModel } from './models/index.js';
import type { Classifier } from './models/classifier.js';
import { httpDuration, observeBacklog } from './observability/metrics.js';
import type { Retriever } from './models/retriever.js';
import { createRetriever } from './db/queries/search.js';
import { apiKeyAuth, authFailureGuard } from './plugins/auth.js';
import swagger from './plugins/swagger.js';
import consolePlugin from './plugins/console.js';
import { schemaErrorFormatter, validatorCompiler } from './schemas/validation.js';
import admin from './routes/admin.js';
import categories from './routes/categories.js';
import categoryStats from './routes/category-stats.js';
import chat from './routes/chat.js';
import documents from './routes/documents.js';
import feedback from './routes/feedback.js';
import health from './routes/health.js';
import relabel from './routes/relabel.js';
import search from './routes/search.js';
import sources from './routes/sources.js';
import threads from './routes/threads.js';
import threadExport from './routes/thread-export.js';
import webhooks from './routes/webhooks.js';
import { ErrorCode, errorBody, unavailable } from './errors.js';
import { keepReading, parseJson } from './plugins/body.js';
import { toErrorReply } from './error-reply.js';
import { documentCommonErrors } from './schemas/common.js';

declare module 'fastify' {
  interface FastifyInstance {
    db: Db;
    config: Config;
    rag: { retriever: Retriever; llm: LlmClient };
    /** New threads of chats, group-committed with their classification jobs. */
    threadWrites: ReturnType<typeof threadWrites>;
    /** The classifier of relabel previews (the workers have their own). */
    classifier: Classifier;
  }
}

export interface AppOptions {
  config: Config;
  db: Db;
  retriever?: Retriever;
  llm?: LlmClient;
  classifier?: Classifier;
}

const OVERLOAD_RETRY_AFTER_S = 10;
const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'];
/** The whole HTTP API as one plugin: server.ts listens with it, tests inject into it. */
export const app: FastifyPluginAsync<AppOptions> = async (fastify, opts) => {
  const { config } = opts;
  fastify.decorate('db', opts.db);
  fastify.decorate('config', config);
  fastify.decorate('rag', {
    retriever: opts.retriever ?? createRetriever(opts.db),
    llm: opts.llm ?? answerModel(config),
  });
  fastify.decorate('classifier', opts.classifier ?? classifierModel(config));
  fastify.decorate(
    'threadWrites',
    threadWrites(opts.db, config.CATEGORISATION === 'on' ? config.CLASSIFICATION_TIMEOUT_SECONDS : null),
  );
  observeBacklog(opts.db);

  // Once the server is closing, every answer also closes its keep-alive connection, so the close does
  // not wait for clients to hang up.
  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (reply.statusCode === 413) keepReading(request, reply);
    if (closing) reply.header('connection', 'close');
  });
  fastify.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    httpDuration.observe({ method: request.method, route, status: reply.statusCode }, reply.elapsedTime / 1000);
  });

  fastify.setErrorHandler((err: FastifyError, request, reply) => {
    const { body, retryAfter } = toErrorReply(err, request.log);
    if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
    return reply.code(body.statusCode).send(body);
  });

  fastify.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0];
    // A known path with another method: 405 with the methods it has.
    const allowed = METHODS.filter((method) => fastify.findRoute({ method, url: path }));
    if (allowed.length > 0) {
      const message = `${request.method} is not supported on ${path}: use ${allowed.join(', ')}`;
      return reply
        .code(405)
        .header('allow', allowed.join(', '))
        .send(errorBody(405, message, ErrorCode.METHOD_NOT_ALLOWED));
    }
    return reply.code(404).send(errorBody(404, `route ${request.method} ${path} not found`, ErrorCode.ROUTE_NOT_FOUND));
  });

  fastify.setValidatorCompiler(validatorCompiler);
  // JSON only: any other content type is a 415, not a body that fails validation.
  fastify.removeContentTypeParser('text/plain');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);

  // Rate limits are checked by hand where the key is known (plugins/auth.ts): the plugin only gives the stores.
  await fastify.register(rateLimit, { global: false });
  fastify.decorate('authFailures', authFailureGuard(fastify));
  await fastify.register(swagger);
  // Operations routes: never rate-limited nor shed, so an orchestrator always sees the process.
  await fastify.register(health);
  // The web console: static files, outside the rate-limited API it calls.
  await fastify.register(consolePlugin, { prefix: '/console' });
  await fastify.register(async (api) => {
    api.addHook('onRoute', documentCommonErrors);
    // Overload: shed with 503 rather than queue without bound.
    await api.register(underPressure, {
      maxEventLoopDelay: config.OVERLOAD_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes:
        (config.OVERLOAD_HEAP_USED_MB ?? (getHeapStatistics().heap_size_limit * 0.9) / 2 ** 20) * 2 ** 20,
      pressureHandler: () =>
        Promise.reject(unavailable(ErrorCode.OVERLOADED, 'server overloaded', OVERLOAD_RETRY_AFTER_S)),
    });
    await api.register(admin, { prefix: '/admin/v1', adminToken: config.ADMIN_TOKEN });
    await api.register(
      async (project) => {
        project.addHook('onRequest', apiKeyAuth(fastify));
        await project.register(chat);
        await project.register(feedback);
        await project.register(threads);
        await project.register(threadExport);
        await project.register(categories);
        await project.register(categoryStats);
        await project.register(relabel);
        await project.register(webhooks);
        await project.register(sources);
        await project.register(documents);
        await project.register(search);
      },
      { prefix: '/query/v1/projects/:project_id' },
    );
  });
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
  const trust = opts.config.TRUST_PROXY;
  const fastify = Fastify({
    loggerInstance: opts.logger,
    // Every log line of a request names it: request_id (kept from X-Request-Id when well-formed).
    logController: new AccessLog({ requestIdLogLabel: 'request_id' }),
    routerOptions: { ignoreTrailingSlash: true },
    schemaErrorFormatter,
    bodyLimit: 256 * 1024,
    requestIdHeader: false,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // A number of hops is a TrustProxyFunction to the types, a number to proxy-addr.
    trustProxy: (trust === 'true' ? true : trust === 'false' ? false : /^\d+$/.test(trust) ? Number(trust) : trust) as
      boolean | string,
  }).withTypeProvider<TypeBoxTypeProvider>();
  await fastify.register(app, opts);
  return fastify;
}
