import { Type, type Static } from '@sinclair/typebox';
import { webhookEvent } from '../db/schema/index.js';
import { Nullable, Timestamp, Uuid } from './common.js';
import { Thread, toThread } from './threads.js';

export const WebhookEventType = Type.Union(webhookEvent.enumValues.map((e) => Type.Literal(e)));

export const Webhook = Type.Object({
  id: Uuid(),
  url: Type.String(),
  events: Type.Array(WebhookEventType),
  description: Nullable(Type.String()),
  created_at: Timestamp(),
});

export const CreatedWebhook = Type.Composite([
  Webhook,
  Type.Object({ secret: Type.String({ description: 'whsec_…: verifies the signatures; shown only here, once' }) }),
]);

export const Delivery = Type.Object({
  event_id: Type.String({ description: 'the body\'s id and the webhook-id header' }),
  type: WebhookEventType,
  status: Type.Union([Type.Literal('pending'), Type.Literal('delivered'), Type.Literal('failed')]),
  attempts: Type.Integer({ minimum: 0 }),
  response_status: Nullable(Type.Integer({ description: 'the status of the last answer; null if none came' })),
  created_at: Timestamp(),
  delivered_at: Nullable(Timestamp()),
});

type WebhookRow = { id: string; url: string; events: Static<typeof WebhookEventType>[]; description: string | null; createdAt: Date };
export const toWebhook = (w: WebhookRow): Static<typeof Webhook> => ({
  id: w.id,
  url: w.url,
  events: w.events,
  description: w.description,
  created_at: w.createdAt.toISOString(),
});

type DeliveryRow = {
  eventId: string;
  type: Static<typeof WebhookEventType>;
  status: 'pending' | 'delivered' | 'failed';
  attempts: number;
  responseStatus: number | null;
  createdAt: Date;
  deliveredAt: Date | null;
};
export const toDelivery = (d: DeliveryRow): Static<typeof Delivery> => ({
  event_id: d.eventId,
  type: d.type,
  status: d.status,
  attempts: d.attempts,
  response_status: d.responseStatus,
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
  return JSON.stringify({ id: e.eventId, type: e.type, created_at: new Date(e.createdAt).toISOString(), data: { thread } });
}
