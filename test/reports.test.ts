// Usage email reports end to end with a real SMTP server in the test process: who gets what, and once.
import t from 'tap';
import { sql } from 'drizzle-orm';
import type { Db } from '../src/db/client.js';
import { createProject } from '../src/db/queries/projects.js';
import { queueDueReports } from '../src/db/queries/reports.js';
import { createTeam } from '../src/db/queries/teams.js';
import { createUser } from '../src/db/queries/users.js';
import { duePeriods } from '../src/reports/schedule.js';
import { build, drain } from './helper.js';
import { parseMail, startSmtpServer } from './smtp.js';
import { count, cronFanOut, MONDAY, sendJobs } from './smtp-worker.js';

/** A thread created at `at` with its first question, optional follow-ups and label. */
async function thread(
  db: Db,
  projectId: string,
  at: string,
  label?: { id: string; by: 'classifier' | 'user' },
  followUps: string[] = [],
) {
  const [row] = await db.execute<{ id: string }>(sql`
    insert into threads (project_id, created_at, first_question, total_questions, category_id, category_source, categorized_at)
    values (${projectId}, ${at}::timestamptz, 'How do I configure webhooks?', ${1 + followUps.length},
      ${label?.id ?? null}, ${label?.by ?? null}::category_source, ${label ? at : null}::timestamptz)
    returning id`);
  for (const [i, when] of [at, ...followUps].entries()) {
    await db.execute(sql`insert into question_answers (thread_id, project_id, position, question, answer, created_at)
      values (${row.id}, ${projectId}, ${i + 1}, 'q', 'a', ${when}::timestamptz)`);
  }
}

/** Two teams; Acme's "Docs bot" has threads in the weeks around MONDAY, its "R&D <bot>" none. */
async function seed(db: Db) {
  const acme = await createTeam(db, { name: 'Acme' });
  const docs = await createProject(db, { teamId: acme.id, projectName: 'Docs bot', productName: 'Acme CLI' });
  await createProject(db, { teamId: acme.id, projectName: 'R&D <bot>', productName: 'Lab' });
  const globex = await createTeam(db, { name: 'Globex' });
  const other = await createProject(db, { teamId: globex.id, projectName: 'Globex bot', productName: 'Globex API' });

  const [billing] = await db.execute<{ id: string }>(
    sql`insert into categories (project_id, name) values (${docs.id}, 'Billing') returning id`,
  );
  const ids = Object.fromEntries(
    (
      await db.execute<{ id: string; name: string }>(sql`select id, name from categories where project_id = ${docs.id}`)
    ).map((c) => [c.name, c.id]),
  );
  const by = (name: string, who: 'classifier' | 'user' = 'classifier') => ({
    id: name === 'Billing' ? billing.id : ids[name],
    by: who,
  });
  // The week of 16-22 November, its first and last instants included.
  await thread(db, docs.id, '2026-11-16T00:00:00Z', by('Discovery'), ['2026-11-16T00:05:00Z']);
  await thread(db, docs.id, '2026-11-18T10:00:00Z', by('Troubleshooting', 'user'));
  await thread(db, docs.id, '2026-11-19T10:00:00Z', by('Discovery'));
  await thread(db, docs.id, '2026-11-20T10:00:00Z', by('Billing'));
  await thread(db, docs.id, '2026-11-22T23:59:59.999Z');
  // The report's own day belongs to the next period.
  await thread(db, docs.id, '2026-11-23T00:00:00Z', by('Discovery'));
  // The week before; one thread gets a follow-up during the reported week.
  await thread(db, docs.id, '2026-11-10T10:00:00Z', by('Troubleshooting'), ['2026-11-17T09:00:00Z']);
  await thread(db, docs.id, '2026-11-12T10:00:00Z', by('Troubleshooting', 'user'));
  // Before both weeks: only the biweekly comparison (26 October to 8 November) sees it.
  await thread(db, docs.id, '2026-11-01T10:00:00Z', by('Discovery'));
  await thread(db, other.id, '2026-11-18T10:00:00Z');

  const ada = await createUser(db, {
    teamId: acme.id,
    email: 'ada@acme.test',
    firstName: 'Ada',
    digestInterval: 'WEEKLY',
  });
  // Joined in the middle of the week: still gets the week's report.
  await db.execute(sql`update users set created_at = '2026-11-19T12:00:00Z' where id = ${ada.id}`);
  await createUser(db, { teamId: acme.id, email: 'bob@acme.test', firstName: 'Bob', digestInterval: 'BIWEEKLY' });
  const cy = await createUser(db, { teamId: acme.id, email: 'cy@acme.test', digestInterval: 'MONTHLY' });
  await createUser(db, { teamId: acme.id, email: 'dee@acme.test', digestInterval: null });
  await createUser(db, { teamId: globex.id, email: 'gil@globex.test', digestInterval: 'WEEKLY' });
  return { ada, cy };
}

/** The lines of one project's table in a plain-text report. */
const section = (text: string, title: string) => text.split('\n\n').find((block) => block.startsWith(title)) ?? '';

t.test('the reports due on a Monday reach the right users with the seeded figures, once', async (t) => {
  const smtp = await startSmtpServer(t);
  const ctx = await build(t, { env: { SMTP_URL: smtp.url } });
  const { ada, cy } = await seed(ctx.db);

  await cronFanOut(ctx.db, MONDAY);
  await drain(ctx);
  const byRecipient = Object.fromEntries(
    await Promise.all(smtp.received.map(async (m) => [m.to.join(), await parseMail(m.raw)] as const)),
  );
  t.same(
    Object.keys(byRecipient).sort(),
    ['ada@acme.test', 'bob@acme.test', 'gil@globex.test'],
    'no digest, or MONTHLY on a Monday: no mail',
  );

  const weekly = byRecipient['ada@acme.test'];
  t.equal(weekly.subject, 'Acme: weekly usage report, 16 to 22 November 2026');
  t.equal(weekly.messageId, `<report.weekly.2026-11-16.${ada.id}@localhost>`);
  t.equal(weekly.headers.get('auto-submitted'), 'auto-generated');
  t.match(weekly.from, { text: /reports@localhost/ });
  t.match(weekly.text, /^Hello Ada,/);
  const docs = section(weekly.text, 'Docs bot (Acme CLI)');
  t.match(docs, /^ +16-22 Nov +9-15 Nov +Change$/m);
  t.match(docs, /^Questions asked +7 +2 +\+5 \(\+250%\)$/m, 'first questions and follow-ups, by when they were asked');
  t.match(docs, /^New threads +5 +2 +\+3 \(\+150%\)$/m);
  t.match(docs, /^ {2}Discovery +2 +0 +\+2 \(new\)$/m);
  t.match(docs, /^ {2}Troubleshooting +1 +2 +-1 \(-50%\)$/m);
  t.match(docs, /^ {2}Billing +1 +0 +\+1 \(new\)$/m);
  t.match(docs, /^ {2}Unlabelled +1 +0 +\+1 \(new\)$/m);
  t.match(docs, /^Labels corrected by users +25% \(1 of 4\) +50% \(1 of 2\) +-25 points$/m);
  const rnd = section(weekly.text, 'R&D <bot> (Lab)');
  t.match(rnd, /^Questions asked +0 +0 +no change$/m, 'a project without traffic is listed too');
  t.match(rnd, /^Labels corrected by users +none labelled +none labelled +-$/m);
  t.notMatch(weekly.text, /Globex/, "another team's project never appears");
  t.match(
    weekly.text.replace(/\s+/g, ' '),
    /Labels corrected by users: of the new threads that carry a label, the share whose label a user set/,
  );
  t.match(weekly.html, /Questions asked<\/td><td[^>]*>7<\/td><td[^>]*>2<\/td>/);
  t.match(weekly.html, /R&amp;D &lt;bot&gt;/, 'names are escaped in HTML');
  t.notMatch(weekly.html, /R&D <bot>/);

  const biweekly = section(byRecipient['bob@acme.test'].text, 'Docs bot (Acme CLI)');
  t.equal(byRecipient['bob@acme.test'].subject, 'Acme: biweekly usage report, 9 to 22 November 2026');
  t.match(biweekly, /^ +9-22 Nov +26 Oct-8 Nov +Change$/m);
  t.match(biweekly, /^Questions asked +9 +1 +\+8 \(\+800%\)$/m);
  t.match(biweekly, /^New threads +7 +1 +\+6 \(\+600%\)$/m);
  t.match(biweekly, /^ {2}Discovery +2 +1 +\+1 \(\+100%\)$/m);
  t.match(biweekly, /^ {2}Troubleshooting +3 +0 +\+3 \(new\)$/m);
  t.match(biweekly, /^Labels corrected by users +33% \(2 of 6\) +0% \(0 of 1\) +\+33 points$/m);
  t.match(section(byRecipient['gil@globex.test'].text, 'Globex bot (Globex API)'), /^New threads +1 +0 +\+1 \(new\)$/m);

  const rows = await ctx.db.execute<{ email: string; sent: boolean; message_id: string }>(sql`
    select u.email, r.sent_at is not null as sent, r.message_id from sent_reports r join users u on u.id = r.user_id order by u.email`);
  t.same(
    rows.map((r) => [r.email, r.sent]),
    [
      ['ada@acme.test', true],
      ['bob@acme.test', true],
      ['gil@globex.test', true],
    ],
  );

  // The cron firing again, twice at once, and an operator: nothing new is recorded, queued or sent.
  await cronFanOut(ctx.db, MONDAY);
  await Promise.all([
    queueDueReports(ctx.db, { periods: duePeriods(MONDAY) }),
    queueDueReports(ctx.db, { periods: duePeriods(MONDAY) }),
  ]);
  t.equal(await sendJobs(ctx.db), 0, 'no send job added for a period already recorded');
  await drain(ctx);
  t.equal(smtp.received.length, 3, 'the same period twice sends once');
  t.equal(await count(ctx.db, sql`select count(*)::int as n from sent_reports`), 3);

  // The 1st of the month (a Tuesday): only the MONTHLY user, about November against October. Two fan-outs
  // of that day run at once (two workers): one report.
  await cronFanOut(ctx.db, '2026-12-01');
  await cronFanOut(ctx.db, '2026-12-01');
  await drain(ctx);
  t.same(
    smtp.received.slice(3).map((m) => m.to.join()),
    ['cy@acme.test'],
  );
  const monthly = await parseMail(smtp.received[3].raw);
  t.equal(monthly.subject, 'Acme: monthly usage report, November 2026');
  t.equal(monthly.messageId, `<report.monthly.2026-11-01.${cy.id}@localhost>`);
  t.match(monthly.text, /^Hello,$/m, 'no first name');
  t.match(section(monthly.text, 'Docs bot (Acme CLI)'), /^New threads +9 +0 +\+9 \(new\)$/m);
});
