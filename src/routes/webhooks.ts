import { Type, type FastifyPluginCallbackTypebox } from '@fastify/type-provider-typebox';
import {
  createWebhook,
  deleteWebhook,
  getWebhook,
  listDeliveries,
  listWebhooks,
  updateWebhook,
  webhookTarget,
} from '../db/queries/webhooks.js';
import { errors, ProjectParams, Uuid } from '../schemas/common.js';
import {
  CreatedWebhook,
  Delivery,
  NewWebhook,
  TestResult,
  toDelivery,
  toWebhook,
  Webhook,
  WebhookChanges,
} from '../schemas/webhooks.js';
import { badRequest, notFound } from '../errors.js';
import { newSecret, refusedWebhookUrl, sendTestEvent } from '../webhooks/delivery.js';

const WebhookParams = Type.Composite([ProjectParams, Type.Object({ webhook_id: Uuid() })]);
const base = { tags: ['webhooks'], security: [{ apiKey: [] }] };

const webhooks: FastifyPluginCallbackTypebox = (app, _opts, done) => {
  /** The same rules wherever a URL is stored; the message never repeats credentials. */
  const checkUrl = async (url: string) => {
    const refused = await refusedWebhookUrl(url, app.config.WEBHOOK_ALLOW_PRIVATE);
    if (refused) throw badRequest(`url: ${refused}`);
  };

  app.post(
    '/webhooks',
    {
      schema: {
        ...base,
        summary: 'Register an endpoint for thread.created and thread.labelled events, signed the Standard Webhooks way',
        description:
          'The URL must be http(s), without credentials, and reach a public address: loopback, private, link-local ' +
          'and unspecified addresses, and names resolving to them, are refused (checked again at every delivery).',
        params: ProjectParams,
        body: NewWebhook,
        response: { 201: CreatedWebhook },
      },
    },
    async (request, reply) => {
      await checkUrl(request.body.url);
      const secret = newSecret();
      const created = await createWebhook(app.db, { projectId: request.project.id, ...request.body, secret });
      return reply.code(201).send({ ...toWebhook(created), secret });
    },
  );

  app.get(
    '/webhooks',
    {
      schema: {
        ...base,
        summary: "The project's webhooks (without their secrets)",
        params: ProjectParams,
        response: { 200: Type.Object({ results: Type.Array(Webhook) }) },
      },
    },
    async (request) => ({ results: (await listWebhooks(app.db, { projectId: request.project.id })).map(toWebhook) }),
  );

  app.get(
    '/webhooks/:webhook_id',
    {
      schema: {
        ...base,
        summary: 'One webhook (without its secret)',
        params: WebhookParams,
        response: { 200: Webhook, ...errors(404) },
      },
    },
    async (request) => {
      const hook = await getWebhook(app.db, { projectId: request.project.id, webhookId: request.params.webhook_id });
      if (!hook) throw notFound('webhook');
      return toWebhook(hook);
    },
  );

  app.patch(
    '/webhooks/:webhook_id',
    {
      schema: {
        ...base,
        summary:
          'Change a webhook: its URL (checked as at creation), events, description (null clears it), or enabled; the secret stays',
        description: 'A disabled webhook gets no new events; deliveries already under way are still made.',
        params: WebhookParams,
        body: WebhookChanges,
        response: { 200: Webhook, ...errors(404) },
      },
    },
    async (request) => {
      const key = { projectId: request.project.id, webhookId: request.params.webhook_id };
      // An unknown webhook is a 404 whatever the URL: the URL is not even looked up.
      if (request.body.url !== undefined) {
        if (!(await getWebhook(app.db, key))) throw notFound('webhook');
        await checkUrl(request.body.url);
      }
      const hook = await updateWebhook(app.db, { ...key, changes: request.body });
      if (!hook) throw notFound('webhook');
      return toWebhook(hook);
    },
  );

  app.post(
    '/webhooks/:webhook_id/test',
    {
      schema: {
        ...base,
        summary: 'Send a signed webhook.test event now and say how it went (not stored as a delivery)',
        description:
          'The body is {id, type: "webhook.test", created_at, data: {}}, with the Standard Webhooks headers of a delivery. ' +
          'Sent whether or not the webhook is enabled; one attempt, within WEBHOOK_TIMEOUT_MS.',
        params: WebhookParams,
        response: { 200: TestResult, ...errors(404) },
      },
    },
    async (request) => {
      const target = await webhookTarget(app.db, {
        projectId: request.project.id,
        webhookId: request.params.webhook_id,
      });
      if (!target) throw notFound('webhook');
      const result = await sendTestEvent(target, {
        timeoutMs: app.config.WEBHOOK_TIMEOUT_MS,
        allowPrivate: app.config.WEBHOOK_ALLOW_PRIVATE,
      });
      return {
        delivered: result.delivered,
        response_status: result.status,
        error: result.error,
        duration_ms: result.durationMs,
      };
    },
  );

  app.delete(
    '/webhooks/:webhook_id',
    {
      schema: {
        ...base,
        summary: 'Delete a webhook: nothing more is delivered to it',
        params: WebhookParams,
        response: { 204: Type.Null({ description: 'deleted' }), ...errors(404) },
      },
    },
    async (request, reply) => {
      if (!(await deleteWebhook(app.db, { projectId: request.project.id, webhookId: request.params.webhook_id })))
        throw notFound('webhook');
      return reply.code(204).send(null);
    },
  );

  app.get(
    '/webhooks/:webhook_id/deliveries',
    {
      schema: {
        ...base,
        summary: "The webhook's latest 100 deliveries, newest first",
        params: WebhookParams,
        response: { 200: Type.Object({ results: Type.Array(Delivery) }), ...errors(404) },
      },
    },
    async (request) => {
      const deliveries = await listDeliveries(app.db, {
        projectId: request.project.id,
        webhookId: request.params.webhook_id,
      });
      if (!deliveries) throw notFound('webhook');
      return { results: deliveries.map(toDelivery) };
    },
  );
  done();
};

export default webhooks;
