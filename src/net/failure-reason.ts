import { AddressRefused } from './address-guard.js';

// Why an outgoing request failed, in words: one wording for webhook deliveries and the crawler's fetches.

const seconds = (ms: number) => (ms % 1000 === 0 || ms > 1000 ? `${ms / 1000} s` : `${ms} ms`);

// Network errors by their code, in words (the codes of node:net, node:dns and OpenSSL).
const NETWORK_ERRORS: Record<string, string> = {
  ENOTFOUND: 'host not found',
  EAI_NONAME: 'host not found',
  EAI_NODATA: 'host not found',
  EAI_AGAIN: 'host name lookup failed, temporarily',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  HPE_INVALID_CONSTANT: 'not an HTTP answer',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate not valid for this host',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'TLS certificate not trusted (self-signed)',
  SELF_SIGNED_CERT_IN_CHAIN: 'TLS certificate not trusted (self-signed)',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'TLS certificate not trusted',
};

/**
 * Why an attempt failed, in words a customer can act on: `HTTP 500`, `timed out after 10 s`, `host not found`,
 * `connection refused`, `address refused: private network`... Takes the answer's status (null for a 2xx: no
 * failure) or what the request threw. Never the URL, so never its credentials.
 */
export function failureReason(outcome: unknown, timeoutMs: number): string | null {
  if (typeof outcome === 'number') return outcome >= 200 && outcome < 300 ? null : `HTTP ${outcome}`;
  if (outcome instanceof AddressRefused) return outcome.message;
  const e = outcome as { name?: string; code?: string } | null;
  // The request's only abort signal is its timeout.
  if (e?.name === 'AbortError' || e?.name === 'TimeoutError' || e?.code === 'ABORT_ERR')
    return `timed out after ${seconds(timeoutMs)}`;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  if (code && NETWORK_ERRORS[code]) return NETWORK_ERRORS[code];
  if (code?.startsWith('ERR_TLS') || code?.startsWith('ERR_SSL')) return `TLS error (${code})`;
  return code ? `request failed (${code})` : 'request failed';
}
