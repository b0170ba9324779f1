import { createHmac, randomBytes, randomUUID } from 'node:crypto';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { AddressRefused, guardRequest, refusedUrl } from '../net/address-guard.js';
import { failureReason } from '../net/failure-reason.js';
import { testBody } from '../schemas/webhooks.js';

/** A new signing secret: `whsec_` and 32 random bytes in base64 (Standard Webhooks). */
export const newSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** The Standard Webhooks headers of one attempt: HMAC-SHA256 of "{id}.{timestamp}.{body}" keyed with the secret's bytes. */
export function signedHeaders(secret: string, id: string, body: string, at = new Date()): Record<string, string> {
  const timestamp = String(Math.floor(at.getTime() / 1000));
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const signature = createHmac('sha256', key).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

/**
 * Where a webhook URL may point: the address guard's rules (http(s), public addresses only unless allowed), and
 * no credentials. Returns the reason it may not, or null. Checked where a URL is stored (creation, change); every
 * delivery checks the address again as it connects. The reason never repeats the URL's credentials.
 */
export async function refusedWebhookUrl(raw: string, allowPrivate: boolean): Promise<string | null> {
  const url = URL.parse(raw);
  // Credentials in a URL end up in lists, logs and proxies; deliveries are authenticated by their signature.
  if (url && (url.username || url.password))
    return 'credentials (user:password@) are not accepted in the URL; the signature authenticates each delivery';
  return refusedUrl(raw, allowPrivate);
}

/**
 * POSTs a signed body and resolves with the response status; rejects on a network error, a refused address or
 * after `timeoutMs`. Connects only to the addresses it checked (the lookup itself refuses), so a name that
 * changes between the check and the connection cannot reach a private address.
 */
export async function post(p: {
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
  allowPrivate: boolean;
}): Promise<number> {
  const url = new URL(p.url);
  const guard = guardRequest(url, p.allowPrivate);
  const options: RequestOptions = {
    method: 'POST',
    headers: {
      ...p.headers,
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(p.body),
      'user-agent': 'docs-chat-webhooks',
    },
    signal: AbortSignal.timeout(p.timeoutMs),
    ...guard,
  };
  return new Promise((resolve, reject) => {
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      res.resume(); // the answer's body is not needed
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(p.body);
  });
}

export type Attempt = {
  delivered: boolean;
  status: number | null;
  error: string | null;
  refused: boolean;
  durationMs: number;
};

/** One signed POST, never throwing: whether a 2xx came, the status if any answer came, and why not in words. */
export async function attempt(p: Parameters<typeof post>[0]): Promise<Attempt> {
  const started = performance.now();
  let outcome: unknown; // the status, or what the request threw
  try {
    outcome = await post(p);
  } catch (err) {
    outcome = err;
  }
  const error = failureReason(outcome, p.timeoutMs);
  return {
    delivered: error === null,
    status: typeof outcome === 'number' ? outcome : null,
    error,
    refused: outcome instanceof AddressRefused,
    durationMs: Math.round(performance.now() - started),
  };
}

/** A signed webhook.test event, sent now, once, whether or not the webhook is enabled (not stored as a delivery). */
export async function sendTestEvent(
  target: { url: string; secret: string },
  p: { timeoutMs: number; allowPrivate: boolean },
): Promise<Attempt> {
  const eventId = `msg_${randomUUID().replaceAll('-', '')}`;
  const body = testBody({ eventId, createdAt: new Date() });
  return attempt({ url: target.url, headers: signedHeaders(target.secret, eventId, body), body, ...p });
}
