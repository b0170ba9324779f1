import { and, desc, eq, sql } from 'drizzle-orm';
import { rows, run, type Db } from '../client.js';
import { webhookDeliveries, webhooks } from '../schema/index.js';
import type { ThreadSnapshot } from '../../schemas/webhooks.js';

export const DELIVER_TASK = 'webhooks__deliver';
export type WebhookEvent = (typeof webhooks.$inferSelect.events)[number];

const webhookColumns = { id: webhooks.id, url: webhooks.url, events: webhooks.events, description: webhooks.description, createdAt: webhooks.createdAt };

export async function createWebhook(db: Db, p: { projectId: string; url: string; events: WebhookEvent[]; description?: string; secret: string }) {
  const [created] = await run(
    db.insert(webhooks).values({ projectId: p.projectId, url: p.url, events: p.events, description: p.description ?? null, secret: p.secret }).returning(webhookColumns),
  );
  return created!;
}

export async function listWebhooks(db: Db, p: { projectId: string }) {
  return run(db.select(webhookColumns).from(webhooks).where(eq(webhooks.projectId, p.projectId)).orderBy(webhooks.createdAt, webhooks.id));
}

/** Deletes a webhook with its deliveries (their jobs then find nothing to send); false if not this project's. */
export async function deleteWebhook(db: Db, p: { projectId: string; webhookId: string }): Promise<boolean> {
  const deleted = await run(db.delete(webhooks).where(and(eq(webhooks.id, p.webhookId), eq(webhooks.projectId, p.projectId))).returning({ id: webhooks.id }));
  return deleted.length > 0;
}

/** The latest 100 deliveries of one of the project's webhooks, newest first; null if it is not one of them. */
export async function listDeliveries(db: Db, p: { projectId: string; webhookId: string }) {
  const [hook] = await run(db.select({ id: webhooks.id }).from(webhooks).where(and(eq(webhooks.id, p.webhookId), eq(webhooks.projectId, p.projectId))));
  if (!hook) return null;
  return run(
    db
      .select({
        eventId: webhookDeliveries.eventId,
        type: webhookDeliveries.type,
        status: webhookDeliveries.status,
        attempts: webhookDeliveries.attempts,
        responseStatus: webhookDeliveries.responseStatus,
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
    event_id: string;
    type: WebhookEvent;
    thread: ThreadSnapshot;
    created_at: string;
    url: string;
    secret: string;
  }>(db, sql`
    select d.event_id, d.type, d.thread, d.created_at::text, w.url, w.secret
    from webhook_deliveries d join webhooks w on w.id = d.webhook_id
    where d.id = ${p.deliveryId} and d.status = 'pending'`);
  return row ?? null;
}

/** Records an attempt: its response status (null: no answer), and whether it delivered or was the last. */
export async function recordAttempt(db: Db, p: { deliveryId: string; responseStatus: number | null; outcome: 'delivered' | 'failed' | 'pending' }) {
  await rows(db, sql`
    update webhook_deliveries set attempts = attempts + 1, response_status = ${p.responseStatus}, status = ${p.outcome},
      delivered_at = case when ${p.outcome} = 'delivered' then now() end
    where id = ${p.deliveryId}`);
}
