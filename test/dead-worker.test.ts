// A worker that dies without warning holds nothing for long: two real worker processes on one database, one
// killed with SIGKILL while it holds a classification, webhook deliveries and a report send. The other one
// notices (no heartbeat for WORKER_DEAD_AFTER_SECONDS), releases the dead worker's jobs, and runs each once.
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import t, { type Test } from 'tap';
import { loadConfig } from '../src/config.js';
import { closeDb, createDb, type Db } from '../src/db/client.js';
import { queueDueReports } from '../src/db/queries/reports.js';
import { createTeam } from '../src/db/queries/teams.js';
import { createThread } from '../src/db/queries/chat-write.js';
import { createUser } from '../src/db/queries/users.js';
import { createWebhook } from '../src/db/queries/webhooks.js';
import { newSecret } from '../src/webhooks/delivery.js';
import { duePeriods } from '../src/reports/schedule.js';
import { projectWithKey, standInUsage } from './factories.js';
import { testDatabase, waitFor } from './helper.js';
import { startWorker } from '../src/worker.js';
import { ownPostgres, startService } from './processes.js';
import { startSmtpServer } from './smtp.js';
import { MONDAY } from './smtp-worker.js';

const DEAD_AFTER_SECONDS = 6;
const WAIT_MS = 60_000;

/** waitFor `check`, for at most WAIT_MS; whether it became true, for the assertion that names it. */
const until = (check: () => Promise<boolean> | boolean): Promise<boolean> =>
  waitFor('a condition', check, { timeoutMs: WAIT_MS, everyMs: 200 }).then(
    () => true,
    () => false,
  );

type Arrival = { eventId: string; type: string; threadId: string; answered: boolean };

/**
 * A real webhook receiver: while `holding`, it takes each request and never answers (the worker that sent it
 * waits, its job locked); after that it answers 200 at once. Every request that arrived is kept.
 */
async function receiver(t: Test) {
  const arrivals: Arrival[] = [];
  const held: ServerResponse[] = [];
  const state = { holding: true };
  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (body += chunk));
    req.on('end', () => {
      const event = JSON.parse(body) as { id: string; type: string; data: { thread: { id: string } } };
      const arrival = { eventId: event.id, type: event.type, threadId: event.data.thread.id, answered: !state.holding };
      arrivals.push(arrival);
      if (state.holding) return void held.push(res);
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    arrivals,
    answerFromNowOn() {
      state.holding = false;
      for (const res of held) res.destroy();
    },
  };
}

const count = async (db: Db, query: ReturnType<typeof sql>) => (await db.execute<{ n: number }>(query))[0].n;
const textArray = (ids: string[]) => `{${ids.join(',')}}`;

t.test(
  'a worker killed with SIGKILL: a live worker releases its jobs within the window, and each runs once',
  async (t) => {
    const url = await testDatabase(t);
    const db = createDb(url, { max: 2 });
    t.teardown(() => closeDb(db));

    // The work: three new threads (classifications, thread.created deliveries) and one usage report.
    const { projectId } = await projectWithKey(db);
    const hook = await receiver(t);
    await createWebhook(db, {
      projectId,
      url: hook.url,
      events: ['thread.created', 'thread.labelled'],
      secret: newSecret(),
    });
    const threadIds: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { threadId } = await createThread(db, {
        projectId,
        question: `My build fails ${i}`,
        answer: 'a',
        usage: standInUsage,
        classifyTimeoutSeconds: 300,
      });
      threadIds.push(threadId);
    }
    const smtp = await startSmtpServer(t);
    const team = await createTeam(db, { name: 'Initech' });
    await createUser(db, { teamId: team.id, email: 'pat@initech.test', digestInterval: 'WEEKLY' });
    t.equal(await queueDueReports(db, { periods: duePeriods(MONDAY) }), 1, 'one report queued');
    const smtpHeld = smtp.hold();

    const env = {
      DATABASE_URL: url,
      WORKER_DEAD_AFTER_SECONDS: String(DEAD_AFTER_SECONDS),
      WEBHOOK_ALLOW_PRIVATE: 'true',
      WEBHOOK_TIMEOUT_MS: '60000',
      SMTP_URL: smtp.url,
    };
    // The first worker takes everything: its classifications take a minute, the receiver and SMTP hold.
    const doomed = await startService(t, 'src/worker.ts', { ...env, CLASSIFIER_LATENCY_MS: '60000' }, '/metrics');
    const lockedByTask = async () =>
      Object.fromEntries(
        (
          await db.execute<{ task: string; n: number }>(sql`
          select task_identifier as task, count(*)::int as n from graphile_worker.jobs
          where locked_at is not null and task_identifier in ('threads__classify', 'webhooks__deliver', 'reports__send')
          group by 1`)
        ).map((r) => [r.task, r.n]),
      );
    const holding = await until(async () => {
      const locked = await lockedByTask();
      return (
        locked.threads__classify === 3 &&
        locked.webhooks__deliver === 3 &&
        locked.reports__send === 1 &&
        hook.arrivals.length === 3
      );
    });
    t.ok(
      holding,
      `the first worker holds the classifications, the deliveries and the report send (${JSON.stringify(await lockedByTask())})`,
    );
    await smtpHeld.entered;

    // Its pools, as their heartbeats name them; graphile-worker locks jobs with the same ids.
    const doomedPools = (
      await db.execute<{ worker_id: string }>(sql`select worker_id from worker_heartbeats order by 1`)
    ).map((r) => r.worker_id);
    t.equal(doomedPools.length, 2, `two pools beat (live and background): ${doomedPools.join(', ')}`);
    const lockers = (
      await db.execute<{ locked_by: string }>(
        sql`select distinct locked_by from graphile_worker.jobs where locked_by is not null`,
      )
    ).map((r) => r.locked_by);
    t.ok(
      lockers.length > 0 && lockers.every((id) => doomedPools.includes(id)),
      'every lock names one of its heartbeat ids',
    );
    const heldByDoomed = () =>
      count(
        db,
        sql`select count(*)::int as n from graphile_worker.jobs where locked_by = any(${textArray(doomedPools)}::text[])
            and task_identifier in ('threads__classify', 'webhooks__deliver', 'reports__send')`,
      );
    // Only the held work is counted: a short job the first worker happens to run at this moment (a cron
    // task) finishes on its own and is not a release.
    const heldAtFirst = await heldByDoomed();
    t.equal(heldAtFirst, 7, 'it holds 3 classifications, 3 deliveries and a report send');

    const survivor = await startService(t, 'src/worker.ts', { ...env, CLASSIFIER_LATENCY_MS: '0' }, '/metrics');
    t.ok(
      await until(async () => (await count(db, sql`select count(*)::int as n from worker_heartbeats`)) === 4),
      'the second worker beats too',
    );
    // A live worker is never taken for dead: a whole window (and more) later, its jobs are still its own.
    await sleep((DEAD_AFTER_SECONDS + 2) * 1000);
    t.equal(await heldByDoomed(), heldAtFirst, 'while the first worker lives, the second releases none of its jobs');
    t.equal(hook.arrivals.length, 3, 'and sends nothing the first one holds');

    doomed.child.kill('SIGKILL');
    t.equal((await doomed.exited).signal, 'SIGKILL', 'the first worker is killed');
    hook.answerFromNowOn();
    smtp.hold().release();

    const labelled = () =>
      count(
        db,
        sql`select count(*)::int as n from threads where id = any(${textArray(threadIds)}::uuid[]) and category_id is not null`,
      );
    const answered = () => hook.arrivals.filter((a) => a.answered).length;
    const sentReports = () => count(db, sql`select count(*)::int as n from sent_reports where sent_at is not null`);
    const pendingJobs = () =>
      count(
        db,
        sql`select count(*)::int as n from graphile_worker.jobs where task_identifier in ('threads__classify', 'webhooks__deliver', 'reports__send')`,
      );
    const done = await until(
      async () =>
        (await labelled()) === 3 && answered() === 6 && (await sentReports()) === 1 && (await pendingJobs()) === 0,
    );
    t.ok(done, "the survivor ran the dead worker's jobs to the end");

    t.equal(await labelled(), 3, 'every thread is labelled');
    t.equal(await heldByDoomed(), 0, 'nothing is left locked by the dead worker');
    t.equal(await pendingJobs(), 0, 'every job finished');
    t.equal(
      await count(
        db,
        sql`select count(*)::int as n from worker_heartbeats where worker_id = any(${textArray(doomedPools)}::text[])`,
      ),
      0,
      'its heartbeats are gone',
    );

    const acknowledged = hook.arrivals.filter((a) => a.answered);
    t.equal(new Set(acknowledged.map((a) => a.eventId)).size, acknowledged.length, 'no event was acknowledged twice');
    for (const id of threadIds) {
      t.equal(
        acknowledged.filter((a) => a.threadId === id && a.type === 'thread.created').length,
        1,
        'thread.created delivered once',
      );
      t.equal(
        hook.arrivals.filter((a) => a.threadId === id && a.type === 'thread.labelled').length,
        1,
        'thread.labelled sent once: labelled once',
      );
    }
    t.equal(smtp.received.length, 1, 'the report is sent once');
    t.equal(
      await count(db, sql`select count(*)::int as n from sent_reports where sent_at is null`),
      0,
      'and marked sent',
    );

    const released = survivor
      .output()
      .split('\n')
      .filter((line) => line.includes('released the jobs of dead workers'));
    t.equal(released.length, 1, 'the survivor logs the release once');
    t.ok(released[0] && doomedPools.every((id) => released[0].includes(id)), `naming the dead pools: ${released[0]}`);

    survivor.child.kill('SIGTERM');
    t.equal((await survivor.exited).code, 0, 'the survivor stops cleanly');
    t.equal(
      await count(db, sql`select count(*)::int as n from worker_heartbeats`),
      0,
      'and deletes its heartbeats on the way out',
    );
  },
);

t.test(
  'a database outage: the heartbeat warns once, without a stack, fails nothing, and beats again after',
  async (t) => {
    const pg = await ownPostgres(t);
    const db = createDb(pg.url, { max: 2 });
    t.teardown(() => closeDb(db));
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const config = loadConfig({
      DATABASE_URL: pg.url,
      WORKER_DEAD_AFTER_SECONDS: '2',
      CLASSIFIER_LATENCY_MS: '0',
      LOG_LEVEL: 'warn',
    });
    const worker = await startWorker({ config, db, log: pino({ level: 'warn' }, sink), databaseUrl: pg.url });
    t.teardown(() => worker.stop());
    const heartbeats = () => count(db, sql`select count(*)::int as n from worker_heartbeats`);
    t.ok(await until(async () => (await heartbeats()) === 2), 'both pools beat');

    await pg.stop();
    const failed = () => lines.filter((line) => line.includes('heartbeat failed'));
    t.ok(await until(() => failed().length > 0), 'the heartbeat fails while the database is away');
    // More beats fail meanwhile (one every 0.4 s).
    await sleep(2000);
    t.equal(failed().length, 1, 'and says so once');
    t.notMatch(failed()[0], /"stack"/, 'without a stack');
    t.match(JSON.parse(failed()[0]), { level: 40, reason: String }, 'a warning with the reason');
    t.notMatch(failed()[0], /select|insert|worker_heartbeats/i, "the driver's reason, not the statement");

    await pg.start();
    // Its pools beat again (new ones, if the outage stopped them); the rows of stopped pools go.
    const fresh = () =>
      count(db, sql`select count(*)::int as n from worker_heartbeats where seen_at > now() - interval '2 seconds'`);
    t.ok(
      await until(async () => (await fresh()) === 2 && (await heartbeats()) === 2),
      'it beats again after the outage, two pools, no stale rows',
    );
    t.notOk(
      lines.some((line) => line.includes('released the jobs of dead workers')),
      'it released nobody: it is the only worker',
    );
  },
);
