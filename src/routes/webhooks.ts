import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { createWebhook, deleteWebhook, listDeliveries, listWebhooks } from '../db/queries/webhooks.js';
import { errors, ProjectParams, Text, Uuid } from '../schemas/common.js';
import { CreatedWebhook, Delivery, toDelivery, toWebhook, Webhook, WebhookEventType } from '../schemas/webhooks.js';
import { badRequest, notFound } from '../errors.js';
import { newSecret, refusedUrl } from '../lib/webhooks.js';

const WebhookParams = Type.Composite([ProjectParams, Type.Object({ webhook_id: Uuid() })]);
const base = { tags: ['webhooks'], security: [{ apiKey: [] }] };

const webhooks: FastifyPluginAsyncTypebox = async (app) => {
  app.post(
    '/webhooks',
    {
      schema: {
        ...base,
        summary: 'Register an endpoint for thread.created and thread.labelled events, signed the Standard Webhooks way',
        description:
          'The URL must be http(s) and reach a public address: loopback, private, link-local and unspecified ' +
          'addresses, and names resolving to them, are refused (checked again at every delivery).',
        params: ProjectParams,
        body: Type.Object(
          {
            url: Type.String({ format: 'uri', maxLength: 2000, description: 'http or https' }),
            events: Type.Array(WebhookEventType, { minItems: 1, uniqueItems: true }),
            description: Type.Optional(Text({ maxLength: 500, description: 'at most 500 characters' })),
          },
          { additionalProperties: false },
        ),
        response: { 201: CreatedWebhook },
      },
    },
    async (request, reply) => {
      const refused = await refusedUrl(request.body.url, app.config.WEBHOOK_ALLOW_PRIVATE);
      if (refused) throw badRequest(`url: ${refused}`);
      const secret = newSecret();
      const created = await createWebhook(app.db, { projectId: request.project.id, ...request.body, secret });
      return reply.code(201).send({ ...toWebhook(created), secret });
    },
  );

  app.get(
    '/webhooks',
    { schema: { ...base, summary: "The project's webhooks (without their secrets)", params: ProjectParams, response: { 200: Type.Object({ results: Type.Array(Webhook) }) } } },
    async (request) => ({ results: (await listWebhooks(app.db, { projectId: request.project.id })).map(toWebhook) }),
  );

  app.delete(
    '/webhooks/:webhook_id',
    { schema: { ...base, summary: 'Delete a webhook: nothing more is delivered to it', params: WebhookParams, response: { 204: Type.Null({ description: 'deleted' }), ...errors(404) } } },
    async (request, reply) => {
      if (!(await deleteWebhook(app.db, { projectId: request.project.id, webhookId: request.params.webhook_id }))) throw notFound('webhook');
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
      const deliveries = await listDeliveries(app.db, { projectId: request.project.id, webhookId: request.params.webhook_id });
      if (!deliveries) throw notFound('webhook');
      return { results: deliveries.map(toDelivery) };
    },
  );
};

export default webhooks;
