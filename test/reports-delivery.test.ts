// Delivery of usage reports against a real SMTP server: outages, concurrent jobs, opt-outs, logs.
import { Writable } from 'node:stream';
import t from 'tap';
import { sql } from 'drizzle-orm';
import { pino } from 'pino';
import { queueDueReports } from '../src/db/queries/reports.js';
import { createTeam } from '../src/db/queries/teams.js';
import { createUser } from '../src/db/queries/users.js';
import { duePeriods } from '../src/reports/schedule.js';
import { build, drain, waitFor } from './helper.js';
import { startSmtpServer } from './smtp.js';
import { count, cronFanOut, MONDAY, sendJobs } from './smtp-worker.js';

t.test('an SMTP outage, then recovery: the report is kept, retried with backoff, delivered once', async (t) => {
  const smtp = await startSmtpServer(t);
  const ctx = await build(t, { env: { SMTP_URL: smtp.url } });
  const team = await createTeam(ctx.db, { name: 'Initech' });
  await createUser(ctx.db, { teamId: team.id, email: 'pat@initech.test', digestInterval: 'WEEKLY' });

  smtp.failing = true;
  await cronFanOut(ctx.db, MONDAY);
  await drain(ctx);
  t.equal(smtp.received.length, 0);
  const [job] = await ctx.db.execute<{ id: string; attempts: number; last_error: string; later: boolean }>(sql`
    select id, attempts, last_error, run_at > now() as later from graphile_worker.jobs where task_identifier = 'reports__send'`);
  t.match(job, { attempts: 1, last_error: /451/, later: true }, 'failed, and waits out a backoff');
  t.equal(
    await count(ctx.db, sql`select count(*)::int as n from sent_reports where sent_at is null`),
    1,
    'the report stays pending',
  );
  await drain(ctx);
  t.equal(smtp.received.length, 0, 'not retried before its backoff is over');

  smtp.failing = false;
  await ctx.db.execute(sql`select graphile_worker.reschedule_jobs(array[${job.id}::bigint], run_at := now())`);
  await drain(ctx);
  t.equal(smtp.received.length, 1, 'delivered after the recovery');
  t.equal(await sendJobs(ctx.db), 0);
  t.equal(await count(ctx.db, sql`select count(*)::int as n from sent_reports where sent_at is not null`), 1);

  // A worker that died after the commit but before graphile-worker recorded the success runs the job again.
  const [report] = await ctx.db.execute<{ id: string }>(sql`select id from sent_reports`);
  await ctx.db.execute(
    sql`select graphile_worker.add_job('reports__send', json_build_object('report_id', ${report.id}::uuid))`,
  );
  await drain(ctx);
  t.equal(smtp.received.length, 1, 'a repeat of a job whose report is sent sends nothing');
});

t.test('two jobs for one report at the same time: the row lock lets exactly one send', async (t) => {
  const smtp = await startSmtpServer(t);
  const ctx = await build(t, { env: { SMTP_URL: smtp.url } });
  const team = await createTeam(ctx.db, { name: 'Hooli' });
  await createUser(ctx.db, { teamId: team.id, email: 'kim@hooli.test', digestInterval: 'WEEKLY' });
  t.equal(await queueDueReports(ctx.db, { periods: duePeriods(MONDAY) }), 1);
  // A second job for the same report (without the job key, which would replace the first): two workers.
  await ctx.db.execute(
    sql`select graphile_worker.add_job('reports__send', json_build_object('report_id', id)) from sent_reports`,
  );

  const held = smtp.hold();
  const worker = drain(ctx);
  await held.entered;
  // The other job waits on the row lock while the first one is in the middle of its SMTP transaction.
  const waiting = await waitFor('the second job to wait on the row lock', () =>
    count(
      ctx.db,
      sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    ),
  );
  held.release();
  await worker;
  t.equal(waiting, 1, 'the second job blocked on the report row');
  t.equal(smtp.received.length, 1, 'one message');
  t.equal(await sendJobs(ctx.db), 0);
});

t.test('logs say what was sent and where, never the credentials or the body', async (t) => {
  const auth = { user: 'reports', pass: 's3cret-Pa55' };
  const smtp = await startSmtpServer(t, { auth });
  const ctx = await build(t, { env: { SMTP_URL: smtp.url } });
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const log = pino({ level: 'debug' }, sink);
  const team = await createTeam(ctx.db, { name: 'Umbrella' });
  await createUser(ctx.db, { teamId: team.id, email: 'lee@umbrella.test', firstName: 'Lee', digestInterval: 'WEEKLY' });

  smtp.failing = true;
  await cronFanOut(ctx.db, MONDAY);
  await drain(ctx, { log });
  smtp.failing = false;
  await ctx.db.execute(
    sql`select graphile_worker.reschedule_jobs(array(select id from graphile_worker.jobs), run_at := now())`,
  );
  await drain(ctx, { log });

  t.equal(smtp.received.length, 1, 'authenticated with the credentials of SMTP_URL');
  const all = lines.join('');
  t.match(all, /451/, 'the failure is logged');
  t.match(all, /usage report sent/);
  t.match(all, /"messageId":"<report\.weekly\.2026-11-16\./);
  t.notMatch(all, /s3cret-Pa55/, 'no password');
  t.notMatch(all, /lee@umbrella\.test/, 'no address');
  t.notMatch(all, /Questions asked|Hello Lee/, 'no body');
});

t.test('a user who turns the digest off before the report goes out gets nothing', async (t) => {
  const smtp = await startSmtpServer(t);
  const ctx = await build(t, { env: { SMTP_URL: smtp.url } });
  const team = await createTeam(ctx.db, { name: 'Vandelay' });
  const art = await createUser(ctx.db, { teamId: team.id, email: 'art@vandelay.test', digestInterval: 'WEEKLY' });
  await queueDueReports(ctx.db, { periods: duePeriods(MONDAY) });
  const res = await ctx.app.inject({
    method: 'PATCH',
    url: `/admin/v1/users/${art.id}`,
    headers: { authorization: `Bearer ${ctx.config.ADMIN_TOKEN}` },
    payload: { digest_interval: null },
  });
  t.equal(res.statusCode, 200);
  await drain(ctx);
  t.equal(smtp.received.length, 0);
  t.equal(await count(ctx.db, sql`select count(*)::int as n from sent_reports`), 0, 'its record is dropped');
});
