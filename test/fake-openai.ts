// A real HTTP server in the test process that speaks OpenAI's chat-completions API (POST /v1/chat/completions),
// as a hosted provider, Ollama or vLLM would. Each request takes the next scripted behaviour (then `ok`):
// an answer with usage, a structured classification, 429 with Retry-After, 500, garbage, or no answer at all.
// A request with `stream: true` gets the answer as server-sent chunks (usage last when asked for), as the API sends it.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Test } from 'tap';

export type Behaviour =
  | { kind: 'ok' }
  | { kind: 'content'; content: string } // the message content as given (a classification reply, say)
  | { kind: 'status'; status: number; retryAfter?: string }
  | { kind: 'garbage' }
  | { kind: 'hang' }
  | { kind: 'stall'; after: number }; // a stream that sends this many pieces, then nothing more

/** The classifier's JSON schema, as far as the fake reads it: one label, or a numbered list of labels. */
interface CategoryIdSchema {
  enum: string[];
}
export interface ResponseSchema {
  properties: {
    category_id: CategoryIdSchema;
    labels?: { minItems: number; maxItems: number; items: { properties: { category_id: CategoryIdSchema } } };
  };
}

export interface ProviderRequest {
  at: number;
  authorization: string | undefined;
  body: {
    model: string;
    messages: { role: string; content: string }[];
    response_format?: { type: string; json_schema: { name: string; strict: boolean; schema: ResponseSchema } };
    stream?: boolean;
    stream_options?: { include_usage?: boolean };
  };
  /** A stream whose client closed the connection before its end. */
  abandoned?: boolean;
}

export const FAKE_USAGE = { prompt_tokens: 42, completion_tokens: 7 };

type Options = {
  /** Before each normal answer, as a hosted model takes. */
  latencyMs?: number;
  /** Between the pieces of a streamed answer. */
  pieceDelayMs?: number;
  /** Hold every answer until `release()` is called (a test decides when the model answers, not the clock). */
  hold?: boolean;
};

/** The fake in a test: closed at the test's end. */
export async function fakeProvider(t: Test, opts: Options = {}) {
  const fake = await startFakeProvider(opts);
  t.teardown(fake.close);
  return fake;
}

/** The fake on its own (benchmarks). */
export async function startFakeProvider(opts: Options = {}) {
  const script: Behaviour[] = [];
  const requests: ProviderRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let arrived = 0;
  let release = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    for await (const chunk of req) raw += chunk;
    if (req.method !== 'POST' || req.url !== '/v1/chat/completions') return res.writeHead(404).end();
    arrived++;
    // Unref'd: a request still waiting when the fake is closed must not keep the test process alive.
    if (opts.latencyMs) await sleep(opts.latencyMs, undefined, { ref: false });
    if (opts.hold) await released;
    const body = JSON.parse(raw) as ProviderRequest['body'];
    const request: ProviderRequest = { at: Date.now(), authorization: req.headers.authorization, body };
    requests.push(request);
    const behaviour = script.shift() ?? { kind: 'ok' };
    if (behaviour.kind === 'hang') return void hanging.add(res);
    if (behaviour.kind === 'garbage')
      return res.writeHead(200, { 'content-type': 'application/json' }).end('{"choices": [tru');
    if (behaviour.kind === 'status') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (behaviour.retryAfter) headers['retry-after'] = behaviour.retryAfter;
      return res
        .writeHead(behaviour.status, headers)
        .end(JSON.stringify({ error: { message: `fake ${behaviour.status}`, type: 'fake' } }));
    }
    // ok: a classification names the first category offered (for each numbered question of a batch); an
    // answer echoes the question.
    const question = body.messages.at(-1)?.content ?? '';
    const schema = body.response_format?.json_schema.schema;
    const labels = schema?.properties.labels;
    const content =
      behaviour.kind === 'content'
        ? behaviour.content
        : labels
          ? JSON.stringify({
              labels: question.split('\n').map((_, i) => ({
                n: i + 1,
                category_id: labels.items.properties.category_id.enum[0],
              })),
            })
          : schema?.properties.category_id
            ? JSON.stringify({ category_id: schema.properties.category_id.enum[0] })
            : `Fake answer to: ${question}`;
    const model = `${body.model}-served`;
    const usage = { ...FAKE_USAGE, total_tokens: FAKE_USAGE.prompt_tokens + FAKE_USAGE.completion_tokens };
    const created = Math.floor(Date.now() / 1000);
    if (!body.stream) {
      return res.writeHead(200, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          created,
          model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage,
        }),
      );
    }
    const chunk = (fields: object) =>
      `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', created, model, ...fields })}\n\n`;
    const delta = (d: object, finish: string | null = null) =>
      chunk({ choices: [{ index: 0, delta: d, finish_reason: finish }] });
    let ended = false;
    res.on('close', () => (request.abandoned = !ended));
    res.writeHead(200, { 'content-type': 'text/event-stream' }).write(delta({ role: 'assistant', content: '' }));
    const pieces = content.split(/(?<= )/);
    for (const [i, piece] of pieces.entries()) {
      if (behaviour.kind === 'stall' && i === behaviour.after) return void hanging.add(res);
      if (opts.pieceDelayMs) await new Promise((r) => setTimeout(r, opts.pieceDelayMs));
      if (res.destroyed) return;
      res.write(delta({ content: piece }));
    }
    res.write(delta({}, 'stop'));
    if (body.stream_options?.include_usage) res.write(chunk({ choices: [], usage }));
    ended = true;
    res.end('data: [DONE]\n\n');
  };
  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
    baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    /** Requests in the order they were answered (after `latencyMs`). */
    requests,
    /** Lets every held answer go (with `hold`). */
    release: () => release(),
    /** How many requests have come in, answered or not. */
    arrived: () => arrived,
    /** The next requests' behaviours, in order; afterwards every request is answered normally. */
    next: (...behaviours: Behaviour[]) => script.push(...behaviours),
  };
}
