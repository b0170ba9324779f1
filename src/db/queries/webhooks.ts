import { and, desc, eq, sql } from 'drizzle-orm';
import { rows, run, type Db } from '../client.js';
import { webhookDeliveries, webhooks } from '../schema/index.js';
import type { ThreadSnapshot } from '../../schemas/webhooks.js';

export type WebhookEvent = (typeof webhooks.$inferSelect.events)[number];

const webhookColumns = {
  id: webhooks.id,
  url: webhooks.url,
  events: webhooks.events,
  description: webhooks.description,
  enabled: webhooks.enabled,
  createdAt: webhooks.createdAt,
};
const thisProjects = (p: { projectId: string; webhookId: string }) =>
  and(eq(webhooks.id, p.webhookId), eq(webhooks.projectId, p.projectId));

export async function createWebhook(
  db: Db,
  p: { projectId: string; url: string; events: WebhookEvent[]; description?: string; secret: string },
) {
  const [created] = await run(
    db
      .insert(webhooks)
      .values({
        projectId: p.projectId,
        url: p.url,
        events: p.events,
        description: p.description ?? null,
        secret: p.secret,
      })
      .returning(webhookColumns),
  );
  return created;
}

export async function listWebhooks(db: Db, p: { projectId: string }) {
  return run(
    db
      .select(webhookColumns)
      .from(webhooks)
      .where(eq(webhooks.projectId, p.projectId))
      .orderBy(webhooks.createdAt, webhooks.id),
  );
}

/** One of the project's webhooks (without its secret); null if it is not one of them. */
export async function getWebhook(db: Db, p: { projectId: string; webhookId: string }) {
  const [row] = await run(db.select(webhookColumns).from(webhooks).where(thisProjects(p)));
  return row ?? null;
}

/** Where and how to send a test event: the webhook's URL and secret; null if it is not one of the project's. */
export async function webhookTarget(db: Db, p: { projectId: string; webhookId: string }) {
  const [row] = await run(
    db.select({ url: webhooks.url, secret: webhooks.secret }).from(webhooks).where(thisProjects(p)),
  );
  return row ?? null;
}

export type WebhookChanges = { url?: string; events?: WebhookEvent[]; description?: string | null; enabled?: boolean };

/**
 * Changes what is given (the secret never changes); null if it is not one of the project's. A disabled webhook
 * gets no new events (the triggers skip it); deliveries already due are still made.
 */
export async function updateWebhook(db: Db, p: { projectId: string; webhookId: string; changes: WebhookChanges }) {
  const set = Object.fromEntries(Object.entries(p.changes).filter(([, v]) => v !== undefined)) as WebhookChanges;
  if (Object.keys(set).length === 0) return getWebhook(db, p);
  const [row] = await run(db.update(webhooks).set(set).where(thisProjects(p)).returning(webhookColumns));
  return row ?? null;
}

/** Deletes a webhook with its deliveries (their jobs then find nothing to send); false if not this project's. */
export async function deleteWebhook(db: Db, p: { projectId: string; webhookId: string }): Promise<boolean> {
  const deleted = await run(db.delete(webhooks).where(thisProjects(p)).returning({ id: webhooks.id }));
  return deleted.length > 0;
}

/** The latest 100 deliveries of one of the project's webhooks, newest first; null if it is not one of them. */
export async function listDeliveries(db: Db, p: { projectId: string; webhookId: string }) {
  const [hook] = await run(db.select({ id: webhooks.id }).from(webhooks).where(thisProjects(p)));
  if (!hook) return null;
  return run(
    db
      .select({
        eventId: webhookDeliveries.eventId,
        type: webhookDeliveries.type,
        status: webhookDeliveries.status,
        attempts: webhookDeliveries.attempts,
        responseStatus: webhookDeliveries.responseStatus,
        error: webhookDeliveries.error,
        createdAt: webhookDeliveries.createdAt,
        deliveredAt: webhookDeliveries.deliveredAt,
      })
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, p.webhookId))
      .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
      .limit(100),
  );
}

/** A delivery still to be made with its webhook's address and secret; null once delivered, failed or deleted. */
export async function pendingDelivery(db: Db, p: { deliveryId: string }) {
  const [row] = await rows<{
    webhookId: string;
    eventId: string;
    type: WebhookEvent;
    thread: ThreadSnapshot;
    createdAt: string;
    url: string;
    secret: string;
  }>(
    db,
    sql`
    select d.webhook_id as "webhookId", d.event_id as "eventId", d.type, d.thread, d.created_at::text as "createdAt", w.url, w.secret
    from webhook_deliveries d join webhooks w on w.id = d.webhook_id
    where d.id = ${p.deliveryId} and d.status = 'pending'`,
  );
  return row ?? null;
}

/**
 * Records an attempt: its response status (null: no answer), why it failed in words (null: delivered), and
 * whether it delivered or was the last.
 */
export async function recordAttempt(
  db: Db,
  p: {
    deliveryId: string;
    responseStatus: number | null;
    error: string | null;
    outcome: 'delivered' | 'failed' | 'pending';
  },
) {
  await rows(
    db,
    sql`
    update webhook_deliveries set attempts = attempts + 1, response_status = ${p.responseStatus}, error = ${p.error}, status = ${p.outcome},
      delivered_at = case when ${p.outcome} = 'delivered' then now() end
    where id = ${p.deliveryId}`,
  );
}
