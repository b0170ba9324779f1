// npm run bench:webhooks -- [seconds=20] [--every 100] [--burst 500]
//
// Webhook delivery latency: an API server and a worker as production runs them, a receiver in this
// process. 1. Chats every `every` ms for `seconds` s into a project with a webhook for thread.created and
// thread.labelled: the time from each chat's answer to its thread.created arriving, and from each label's
// commit (the event's created_at) to its thread.labelled arriving. 2. One classifier statement labelling
// `burst` threads of another project at once: the time until every thread.labelled has arrived.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { saveClassifierLabels } from '../src/db/queries/classification.js';
import { createWebhook } from '../src/db/queries/webhooks.js';
import { newSecret } from '../src/webhooks/delivery.js';
import { pacedChats } from './lib/classification.js';
import { onCleanup, runMain } from './lib/cleanup.js';
import { describeCode } from './lib/code.js';
import { benchDatabase, createTenant } from './lib/database.js';
import { startApiServer, startWorker } from './lib/processes.js';
import { banner, int, ms, numberArg, percentile, printResultsHeader, step, table } from './lib/report.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { every: { type: 'string' }, burst: { type: 'string' } },
});

type Arrival = { type: string; threadId: string; eventAt: number; receivedAt: number };

runMain(async () => {
  const seconds = numberArg(positionals[0], 20, 'seconds');
  const everyMs = numberArg(values.every, 100, 'every');
  const burst = Math.floor(numberArg(values.burst, 500, 'burst'));
  const code = await describeCode();
  banner('bench:webhooks', code.text, { seconds, everyMs, burst });

  const arrivals: Arrival[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const event = JSON.parse(body) as { type: string; created_at: string; data: { thread: { id: string } } };
      arrivals.push({
        type: event.type,
        threadId: event.data.thread.id,
        eventAt: Date.parse(event.created_at),
        receivedAt: Date.now(),
      });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  onCleanup(
    'close the receiver',
    () => new Promise<void>((resolve) => (receiver.closeAllConnections(), receiver.close(() => resolve()))),
  );
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;

  const { url: databaseUrl, db, pgVersion } = await benchDatabase(2);
  const live = await createTenant(db, 'bench-webhooks');
  const batch = await createTenant(db, 'bench-webhooks-burst');
  await createWebhook(db, {
    projectId: live.projectId,
    url,
    events: ['thread.created', 'thread.labelled'],
    secret: newSecret(),
  });
  await createWebhook(db, { projectId: batch.projectId, url, events: ['thread.labelled'], secret: newSecret() });
  const env = { WEBHOOK_ALLOW_PRIVATE: 'true', CLASSIFIER_LATENCY_MS: '0' };
  const api = await startApiServer({ databaseUrl, env });
  await startWorker({ databaseUrl, env });

  step(`1. chatting every ${everyMs} ms for ${seconds} s`);
  const answeredAt = new Map<string, number>();
  const chats = await pacedChats(api.baseUrl, live, seconds, everyMs, (threadId) =>
    answeredAt.set(threadId, Date.now()),
  );
  const events = 2 * chats.threadIds.length;
  for (let waited = 0; arrivals.length < events && waited < 30_000; waited += 100) await sleep(100);
  if (arrivals.length < events) throw new Error(`${arrivals.length} of ${events} events arrived within 30 s`);
  const created = arrivals
    .filter((a) => a.type === 'thread.created')
    .map((a) => a.receivedAt - answeredAt.get(a.threadId)!);
  const labelled = arrivals.filter((a) => a.type === 'thread.labelled').map((a) => a.receivedAt - a.eventAt);

  step(`2. one classifier statement labelling ${int(burst)} threads`);
  arrivals.length = 0;
  await db.execute(
    sql`insert into threads (project_id, first_question) select ${batch.projectId}, 'q' || n from generate_series(1, ${burst}) n`,
  );
  const threads = await db.execute<{ id: string }>(sql`select id from threads where project_id = ${batch.projectId}`);
  const [category] = await db.execute<{ id: string }>(
    sql`select id from categories where project_id = ${batch.projectId} limit 1`,
  );
  const started = Date.now();
  await saveClassifierLabels(db, {
    projectId: batch.projectId,
    labels: threads.map((t) => ({ threadId: t.id, categoryId: category.id })),
  });
  for (let waited = 0; arrivals.length < burst && waited < 60_000; waited += 20) await sleep(20);
  if (arrivals.length < burst) throw new Error(`${arrivals.length} of ${burst} events arrived within 60 s`);
  const burstMs = Math.max(...arrivals.map((a) => a.receivedAt)) - started;

  printResultsHeader('bench:webhooks', { pgVersion, code });
  const row = (name: string, from: string, l: number[]) => {
    const sorted = [...l].sort((a, b) => a - b);
    return [name, from, String(l.length), ms(percentile(sorted, 50)), ms(percentile(sorted, 95)), ms(sorted.at(-1)!)];
  };
  console.log(
    `One API server, one worker (WORKER_CONCURRENCY 200 live slots), stand-in models at latency 0, a receiver answering 204.\n`,
  );
  console.log(
    table(
      ['event', 'from', 'events', 'p50', 'p95', 'max'],
      [row('thread.created', "the chat's answer", created), row('thread.labelled', "the label's commit", labelled)],
    ),
  );
  console.log(
    `\n${int(burst)} labels in one statement: every thread.labelled delivered ${ms(burstMs)} after it (${int(burst / (burstMs / 1000))} deliveries/s).`,
  );
});
