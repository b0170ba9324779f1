// Outgoing HTTP to addresses a customer gives us (webhooks now, a crawler later) must not reach the service's
// own network: the address is checked where the URL is accepted, and again by the lookup as each request
// connects (a name can change between the two).
import { lookup } from 'node:dns';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * Whether an address may be connected to: public unicast only, so no loopback, private, link-local or
 * unspecified address, nor an IPv4-mapped form of one.
 */
export function publicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

/** A request to a refused address: final, never retried (the address is the URL's, not a passing fault). */
export class AddressRefused extends Error {
  constructor(readonly detail: string) {
    super('address refused: private network');
  }
}

/** dns.lookup that fails with AddressRefused for a host name resolving to any address publicAddress refuses. */
export const guardedLookup: LookupFunction = (hostname, options, callback) => {
  lookup(hostname, { ...options, all: true }, (err, addresses) => {
    if (err) return callback(err, '', 0);
    const refused = addresses.find((a) => !publicAddress(a.address));
    if (refused)
      return callback(new AddressRefused(`${hostname} resolves to ${refused.address}, a non-public address`), '', 0);
    if (options.all) return (callback as unknown as (e: null, a: typeof addresses) => void)(null, addresses);
    callback(null, addresses[0].address, addresses[0].family);
  });
};

/** The URL's host without the brackets of an IPv6 literal. */
export const bareHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/**
 * Where an outgoing URL may point: http(s) whose host is, or resolves only to, public addresses (any address
 * when `allowPrivate`). Returns the reason it may not, or null.
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
  const host = bareHost(url);
  if (ipaddr.isValid(host)) return publicAddress(host) ? null : `${host} is not a public address`;
  return new Promise((resolve) =>
    guardedLookup(host, { all: true }, (err) =>
      resolve(err instanceof AddressRefused ? err.detail : err ? `${host} does not resolve` : null),
    ),
  );
}

/**
 * The guard for one request: throws AddressRefused for an address written as such (connected to without a
 * lookup), and gives the lookup that refuses names resolving to one. A name that does not resolve is then the
 * request's own "host not found", not a refusal.
 */
export function guardRequest(url: URL, allowPrivate: boolean): { lookup?: LookupFunction } {
  if (allowPrivate) return {};
  const host = bareHost(url);
  if (ipaddr.isValid(host) && !publicAddress(host)) throw new AddressRefused(`${host} is not a public address`);
  return { lookup: guardedLookup };
}
