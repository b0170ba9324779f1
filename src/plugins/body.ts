// The edges of a request's body: how JSON is read, and how a refused body (413) still reaches its client.
import type { FastifyReply, FastifyRequest } from 'fastify';
import secureJson from 'secure-json-parse';
import { badRequest } from '../errors.js';

// After a 413, the rest of a refused body is read and dropped, up to this much and this long.
const DRAIN_BYTES = 64 * 2 ** 20;
const DRAIN_MS = 10_000;

/**
 * JSON bodies through secure-json-parse, as Fastify's own parser, but saying what is wrong: a `__proto__`
 * or `constructor.prototype` key is valid JSON that we refuse, not "invalid JSON".
 */
export function parseJson(_request: FastifyRequest, body: string, done: (err: Error | null, body?: unknown) => void) {
  if (body.length === 0) return done(badRequest('body: empty; send a JSON value or no content-type'));
  try {
    done(null, secureJson.parse(body, { protoAction: 'error', constructorAction: 'error' }));
  } catch (err) {
    const poisoned = /forbidden (prototype|constructor) property/.test((err as Error).message);
    done(
      badRequest(
        poisoned
          ? 'body: a "__proto__" or "constructor.prototype" key is not accepted'
          : `body: not valid JSON (${(err as Error).message})`,
      ),
    );
  }
}

/**
 * A refused body (413) is answered before it is read, and the connection closed. Closed while the client is
 * still sending, the socket answers with a reset, and a client that sends its whole body before reading
 * the answer (most do) never sees the 413: so the close waits until the rest of the body has been read
 * and dropped, within bounds.
 */
export function keepReading(request: FastifyRequest, reply: FastifyReply) {
  const { raw } = request;
  reply.header('connection', 'close');
  const socket = raw.socket;
  // (app.inject's requests have no real socket.)
  if (raw.readableEnded || typeof socket?.destroySoon !== 'function') return;
  const closeSoon = socket.destroySoon.bind(socket);
  let ended = false;
  let closeAsked = false;
  socket.destroySoon = () => (ended ? closeSoon() : void (closeAsked = true));
  const timer = setTimeout(() => socket.destroy(), DRAIN_MS).unref();
  let bytes = 0;
  raw.on('data', (chunk: Buffer) => {
    if ((bytes += chunk.length) > DRAIN_BYTES) socket.destroy();
  });
  raw.once('end', () => {
    ended = true;
    clearTimeout(timer);
    if (closeAsked) closeSoon();
  });
  raw.resume();
}
