import { createHmac, randomBytes } from 'node:crypto';
import { lookup } from 'node:dns';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

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
 * Whether an address may receive deliveries: public unicast only, so a webhook cannot reach the service's own
 * network (loopback, private, link-local, unspecified, and IPv4-mapped forms of them), unless allowed.
 */
export function publicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

export class AddressRefused extends Error {}

/** dns.lookup that fails for a host name resolving to any address publicAddress refuses. */
const guardedLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((a) => !publicAddress(a.address));
    if (refused) return callback(new AddressRefused(`${hostname} resolves to ${refused.address}, a non-public address`), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
    callback(null, addresses[0]!.address, addresses[0]!.family);
  });
};

/**
 * Where a webhook URL may point: an http(s) URL whose host is, or resolves only to, public addresses. Returns
 * the reason it may not, or null. Checked at creation and again by every delivery (a name can change).
 */
export async function refusedUrl(raw: string, allowPrivate: boolean): Promise<string | null> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'not a URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'the URL must be http or https';
  if (allowPrivate) return null;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (ipaddr.isValid(host)) return publicAddress(host) ? null : `${host} is not a public address`;
  return new Promise((resolve) =>
    guardedLookup(host, { all: true }, (err) =>
      resolve(err instanceof AddressRefused ? err.message : err ? `${host} does not resolve` : null),
    ),
  );
}

/**
 * POSTs a signed body and resolves with the response status; rejects on a network error, a refused address or
 * after `timeoutMs`. Connects only to the addresses it checked (the lookup itself refuses), so a name that
 * changes between the check and the connection cannot reach a private address.
 */
export async function post(p: { url: string; headers: Record<string, string>; body: string; timeoutMs: number; allowPrivate: boolean }): Promise<number> {
  const refused = await refusedUrl(p.url, p.allowPrivate);
  if (refused) throw new AddressRefused(refused);
  const url = new URL(p.url);
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...p.headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(p.body), 'user-agent': 'docs-chat-webhooks' },
    signal: AbortSignal.timeout(p.timeoutMs),
    ...(p.allowPrivate ? {} : { lookup: guardedLookup }),
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
