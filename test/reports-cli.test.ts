// `npm run admin -- reports send`: the fan-out for one day and the jobs, in the command's own process
// (called in-process here, as its wrapper calls it).
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { sql } from 'drizzle-orm';
import { admin as adminCli } from '../src/cli/admin.js';
import { freePort } from '../src/db/local.js';
import { createProject } from '../src/db/queries/projects.js';
import { createTeam } from '../src/db/queries/teams.js';
import { createUser } from '../src/db/queries/users.js';
import { utcDay } from '../src/reports/schedule.js';
import { build } from './helper.js';
import { runCli } from './cli-io.js';
import { parseMail } from './smtp.js';

interface Summary {
  date: string;
  periods: unknown[];
  queued: number;
  requeued: number;
  sent: number;
  pending: number;
  failed: number;
  delivery: string;
}
const summary = (stdout: string) => JSON.parse(stdout) as Summary;

t.test('reports send writes the reports due that day to the outbox, once, and says where', async (t) => {
  const { db, url } = await build(t);
  const outbox = await mkdtemp(path.join(os.tmpdir(), 'outbox-'));
  t.teardown(() => rm(outbox, { recursive: true, force: true }));
  // No SMTP_URL from the surrounding environment: the outbox unless a step sets one.
  const env = { DATABASE_URL: url, OUTBOX_DIR: outbox, LOG_LEVEL: 'info' };
  const admin = (args: string[], extra: Record<string, string> = {}) =>
    runCli(adminCli, ['reports', 'send', ...args], { ...env, ...extra });

  const team = await createTeam(db, { name: 'Initrode' });
  const project = await createProject(db, { teamId: team.id, projectName: 'Help bot', productName: 'TPS' });
  const max = await createUser(db, {
    teamId: team.id,
    email: 'max@initrode.test',
    firstName: 'Max',
    digestInterval: 'WEEKLY',
  });
  await createUser(db, { teamId: team.id, email: 'joe@initrode.test', digestInterval: null });
  for (const at of ['2026-11-17T08:00:00Z', '2026-11-20T16:30:00Z']) {
    const [thread] = await db.execute<{ id: string }>(sql`
      insert into threads (project_id, created_at, first_question) values (${project.id}, ${at}::timestamptz, 'q') returning id`);
    await db.execute(sql`insert into question_answers (thread_id, project_id, position, question, answer, created_at)
      values (${thread.id}, ${project.id}, 1, 'q', 'a', ${at}::timestamptz)`);
  }

  // SMTP down: the command fails, the report stays pending. A port that was free a moment ago and that
  // nothing listens on is an SMTP server that is down.
  const down = await admin(['--date', '2026-11-23'], { SMTP_URL: `smtp://127.0.0.1:${await freePort()}` });
  t.equal(down.code, 1);
  t.match(summary(down.stdout), { queued: 1, sent: 0, pending: 1, failed: 1, delivery: 'smtp' });
  t.match(down.stderr, /1 report\(s\) could not be sent/);
  t.match(down.stderr, /ECONNREFUSED/, 'the log says why');

  // Again, with the outbox: the pending report is queued again at once, and written.
  const first = await admin(['--date', '2026-11-23']);
  t.equal(first.code, 0);
  t.match(summary(first.stdout), {
    date: '2026-11-23',
    queued: 0,
    requeued: 1,
    sent: 1,
    pending: 0,
    failed: 0,
    delivery: `outbox ${outbox}`,
  });
  const files = await readdir(outbox);
  const file = path.join(outbox, `report.weekly.2026-11-16.${max.id}.eml`);
  t.same(files, [path.basename(file)]);
  t.ok(first.stderr.includes(JSON.stringify(file)), 'the log says where the message is');
  t.notMatch(first.stderr, /Questions asked/, 'and not what it says');

  const mail = await parseMail(await readFile(file, 'utf8'));
  t.match(mail.to, { text: /max@initrode\.test/ });
  t.equal(mail.subject, 'Initrode: weekly usage report, 16 to 22 November 2026');
  t.match(mail.text, /^Hello Max,$/m);
  t.match(mail.text, /^New threads +2 +0 +\+2 \(new\)$/m);
  t.match(mail.text, /^ {2}Unlabelled +2 +0 +\+2 \(new\)$/m);
  t.match(mail.html, /<table/);

  const again = await admin(['--date', '2026-11-23']);
  t.match(summary(again.stdout), { queued: 0, requeued: 0, sent: 1, pending: 0 });
  t.notMatch(again.stderr, /usage report sent/, 'the same day twice sends once');
  t.same(await readdir(outbox), files);

  t.match(
    summary((await admin(['--date', '2026-11-24'])).stdout),
    { periods: [], queued: 0, sent: 0, pending: 0 },
    'nothing due on a Tuesday',
  );
  const before = utcDay(new Date());
  const today = summary((await admin([])).stdout);
  t.ok([before, utcDay(new Date())].includes(today.date), 'default: today, UTC');

  const bad = await admin(['--date', '2026-02-30']);
  t.equal(bad.code, 2);
  t.match(bad.stderr, /invalid --date: 2026-02-30/);

  // A Monday to come: Max's weekly report would be due that day. Sent now, it would use up the real one.
  const now = new Date();
  const monday = utcDay(new Date(now.getTime() + ((8 - now.getUTCDay()) % 7 || 7) * 86_400_000));
  const rows = async () => (await db.execute<{ n: number }>(sql`select count(*)::int as n from sent_reports`))[0].n;
  const rowsBefore = await rows();
  // Taken now: on a Monday, the default run above (today) sent that day's weekly report.
  const filesBefore = await readdir(outbox);
  const future = await admin(['--date', monday]);
  t.equal(future.code, 1, 'a date after today is refused');
  t.match(future.stderr, new RegExp(`--date ${monday} is in the future .*nothing sent`));
  t.notMatch(future.stderr, /^\s+at /m, 'without a stack trace');
  t.equal(future.stdout, '', 'no summary: nothing was done');
  t.equal(await rows(), rowsBefore, 'no report recorded for that day');
  t.same(await readdir(outbox), filesBefore, 'none written');
});
