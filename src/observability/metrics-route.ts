import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import { registry } from './metrics.js';

/**
 * GET /metrics: this process's Prometheus metrics. One route for both entry points: the API registers it
 * among its operations routes, and a worker run alone serves it on METRICS_PORT.
 */
export const metricsRoute: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  app.get(
    '/metrics',
    {
      schema: {
        tags: ['operations'],
        summary:
          'Prometheus metrics: request latency, classification backlog and lag, classifier latency and failures, jobs',
        response: {
          200: {
            description: 'Prometheus text exposition format 0.0.4',
            content: { 'text/plain': { schema: Type.String() } },
          },
        },
      },
    },
    async (_request, reply) => reply.type(registry.contentType).send(await registry.metrics()),
  );
  done();
};
