import { Type, type Static } from '@sinclair/typebox';
import { webhookEvent } from '../db/schema/index.js';
import { Nullable, Text, Timestamp, Uuid } from './common.js';
import { Thread, toThread } from './threads.js';

export const WebhookEventType = Type.Union(webhookEvent.enumValues.map((e) => Type.Literal(e)));

const Url = Type.String({
  format: 'uri',
  maxLength: 2000,
  description: 'http or https, without credentials (user:password@)',
});
const Events = Type.Array(WebhookEventType, { minItems: 1, uniqueItems: true });
const Description = Text({ maxLength: 500, description: 'at most 500 characters' });

export const NewWebhook = Type.Object(
  { url: Url, events: Events, description: Type.Optional(Description) },
  { additionalProperties: false },
);

export const WebhookChanges = Type.Object(
  {
    url: Type.Optional(Url),
    events: Type.Optional(Events),
    description: Type.Optional(Nullable(Description)),
    enabled: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);

export const Webhook = Type.Object({
  id: Uuid(),
  url: Type.String(),
  events: Type.Array(WebhookEventType),
  description: Nullable(Type.String()),
  enabled: Type.Boolean({
    description: 'false: no new events are delivered to it (it keeps its secret and deliveries)',
  }),
  created_at: Timestamp(),
});

export const CreatedWebhook = Type.Composite([
  Webhook,
  Type.Object({ secret: Type.String({ description: 'whsec_…: verifies the signatures; shown only here, once' }) }),
]);

export const Delivery = Type.Object({
  event_id: Type.String({ description: "the body's id and the webhook-id header" }),
  type: WebhookEventType,
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer({ minimum: 0 }),
  response_status: Nullable(Type.Integer({ description: 'the status of the last answer; null if none came' })),
  error: Nullable(
    Type.String({
      description:
        'why the last attempt failed, in words ("HTTP 500", "timed out after 10 s", "host not found", "connection refused", "address refused: private network"); null once delivered or before the first attempt',
    }),
  ),
  created_at: Timestamp(),
  delivered_at: Nullable(Timestamp()),
});

export const TestResult = Type.Object({
  delivered: Type.Boolean({ description: 'the endpoint answered 2xx' }),
  response_status: Nullable(Type.Integer({ description: "the endpoint's status; null if no answer came" })),
  error: Nullable(Type.String({ description: 'why it failed, in words, as a delivery shows it; null when delivered' })),
  duration_ms: Type.Integer({ minimum: 0, description: 'from sending to the answer (or the failure)' }),
});

/** A stored URL as lists show it: any credentials (accepted before they were refused) left out. */
export function shownUrl(raw: string): string {
  try {
    const url = new URL(raw);
    if (!url.username && !url.password) return raw;
    url.username = '';
    url.password = '';
    return url.toString();
  } catch {
    return raw;
  }
}

type WebhookRow = {
  id: string;
  url: string;
  events: Static<typeof WebhookEventType>[];
  description: string | null;
  enabled: boolean;
  createdAt: Date;
};
export const toWebhook = (w: WebhookRow): Static<typeof Webhook> => ({
  id: w.id,
  url: shownUrl(w.url),
  events: w.events,
  description: w.description,
  enabled: w.enabled,
  created_at: w.createdAt.toISOString(),
});

type DeliveryRow = {
  eventId: string;
  type: Static<typeof WebhookEventType>;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseStatus: number | null;
  error: string | null;
  createdAt: Date;
  deliveredAt: Date | null;
};
export const toDelivery = (d: DeliveryRow): Static<typeof Delivery> => ({
  event_id: d.eventId,
  type: d.type,
  status: d.status,
  attempts: d.attempts,
  response_status: d.responseStatus,
  error: d.error,
  created_at: d.createdAt.toISOString(),
  delivered_at: d.deliveredAt?.toISOString() ?? null,
});

/** A thread as a webhook event captured it: its row as to_jsonb wrote it (migration 0008), with its category. */
export type ThreadSnapshot = {
  id: string;
  project_id: string;
  created_at: string;
  updated_at: string;
  first_question: string;
  total_questions: number;
  category_source: 'classifier' | 'user' | null;
  categorized_at: string | null;
  category: { id: string; name: string; description: string } | null;
};

/** The body of a test event: signed like a delivery, with nothing in `data`. */
export function testBody(e: { eventId: string; createdAt: Date }): string {
  return JSON.stringify({ id: e.eventId, type: 'webhook.test', created_at: e.createdAt.toISOString(), data: {} });
}

/** The body of an event, the same on every attempt: {id, type, created_at, data: {thread: Thread}}. */
export function webhookBody(e: { eventId: string; type: string; createdAt: string; thread: ThreadSnapshot }): string {
  const t = e.thread;
  const thread: Static<typeof Thread> = toThread({
    id: t.id,
    projectId: t.project_id,
    createdAt: new Date(t.created_at),
    updatedAt: new Date(t.updated_at),
    firstQuestion: t.first_question,
    totalQuestions: t.total_questions,
    category: t.category,
    categorySource: t.category_source,
    categorizedAt: t.categorized_at === null ? null : new Date(t.categorized_at),
  });
  return JSON.stringify({
    id: e.eventId,
    type: e.type,
    created_at: new Date(e.createdAt).toISOString(),
    data: { thread },
  });
}
