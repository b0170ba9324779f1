import t from 'tap';
import { readFileSync } from 'node:fs';
import { parseCrontab } from 'graphile-worker';
import { loadConfig } from '../src/config.js';
import { mailDomain } from '../src/reports/mailer.js';
import { duePeriods, parseDay, previousPeriod } from '../src/reports/schedule.js';

t.test('WEEKLY on Mondays, BIWEEKLY on every second Monday, MONTHLY on the 1st, in UTC days', (t) => {
  t.same(duePeriods('2026-11-23'), [
    { interval: 'WEEKLY', start: '2026-11-16', end: '2026-11-23' },
    { interval: 'BIWEEKLY', start: '2026-11-09', end: '2026-11-23' },
  ]);
  t.same(
    duePeriods('2026-11-30'),
    [{ interval: 'WEEKLY', start: '2026-11-23', end: '2026-11-30' }],
    'the other Mondays: weekly only',
  );
  t.same(duePeriods('2026-11-24'), [], 'a Tuesday that is not the 1st');
  t.same(duePeriods('2026-12-01'), [{ interval: 'MONTHLY', start: '2026-11-01', end: '2026-12-01' }]);
  t.same(
    duePeriods('2027-01-01'),
    [{ interval: 'MONTHLY', start: '2026-12-01', end: '2027-01-01' }],
    'across the year',
  );
  t.same(
    duePeriods('2026-06-01'),
    [
      { interval: 'WEEKLY', start: '2026-05-25', end: '2026-06-01' },
      { interval: 'MONTHLY', start: '2026-05-01', end: '2026-06-01' },
    ],
    'a Monday the 1st: both',
  );
  t.same(
    duePeriods('2027-03-01').map((p) => p.interval),
    ['WEEKLY', 'BIWEEKLY', 'MONTHLY'],
    'all three',
  );
  t.end();
});

t.test('BIWEEKLY alternates strictly, also across a year of 53 ISO weeks', (t) => {
  // 2026 has 53 ISO weeks: ISO parity would give two "odd" Mondays in a row (28 Dec and 4 Jan).
  const mondays = Array.from({ length: 20 }, (_, i) =>
    new Date(Date.UTC(2026, 10, 16 + 7 * i)).toISOString().slice(0, 10),
  );
  const biweekly = mondays.map((d) => duePeriods(d).some((p) => p.interval === 'BIWEEKLY'));
  t.same(
    biweekly,
    mondays.map((_, i) => i % 2 === 1),
  );
  t.ok(mondays.includes('2026-12-28') && mondays.includes('2027-01-04'));
  t.same(
    duePeriods('2027-01-04').find((p) => p.interval === 'BIWEEKLY'),
    { interval: 'BIWEEKLY', start: '2026-12-21', end: '2027-01-04' },
  );
  t.end();
});

t.test('the period compared with is the one just before, of the same kind', (t) => {
  t.same(previousPeriod({ interval: 'WEEKLY', start: '2026-11-16', end: '2026-11-23' }), {
    start: '2026-11-09',
    end: '2026-11-16',
  });
  t.same(previousPeriod({ interval: 'BIWEEKLY', start: '2026-11-09', end: '2026-11-23' }), {
    start: '2026-10-26',
    end: '2026-11-09',
  });
  t.same(previousPeriod({ interval: 'MONTHLY', start: '2026-03-01', end: '2026-04-01' }), {
    start: '2026-02-01',
    end: '2026-03-01',
  });
  t.same(previousPeriod({ interval: 'MONTHLY', start: '2027-01-01', end: '2027-02-01' }), {
    start: '2026-12-01',
    end: '2027-01-01',
  });
  t.end();
});

t.test('days are strict YYYY-MM-DD calendar dates', (t) => {
  t.equal(parseDay('2028-02-29'), Date.UTC(2028, 1, 29));
  for (const bad of ['2026-02-30', '2026-2-3', '2026-11-23T00:00:00Z', 'today', '']) {
    t.throws(() => parseDay(bad), RangeError, bad);
  }
  t.end();
});

t.test('the crontab fans out every day at 06:00 UTC, catching up missed days', (t) => {
  const [item, ...rest] = parseCrontab(readFileSync('crontab', 'utf8')).filter((i) => i.task === 'reports__fan_out');
  t.equal(rest.length, 0);
  t.equal(item.identifier, 'reports_fan_out');
  t.equal(item.options.backfillPeriod, 2 * 86_400_000);
  t.ok(item.match({ min: 0, hour: 6, date: 23, month: 11, dow: 1 }));
  t.notOk(item.match({ min: 0, hour: 7, date: 23, month: 11, dow: 1 }));
  t.end();
});

t.test('mail configuration', (t) => {
  const defaults = loadConfig({});
  t.equal(defaults.SMTP_URL, undefined, 'no SMTP_URL: the outbox');
  t.equal(defaults.OUTBOX_DIR, 'outbox');
  t.equal(mailDomain(defaults), 'localhost');
  t.equal(mailDomain(loadConfig({ MAIL_FROM: 'reports@acme.example' })), 'acme.example');
  t.equal(loadConfig({ SMTP_URL: 'smtps://u:p@mail.example:465' }).SMTP_URL, 'smtps://u:p@mail.example:465');
  t.throws(
    () => loadConfig({ SMTP_URL: 'http://mail.example' }),
    /SMTP_URL=<hidden>: expected an smtp:\/\/ or smtps:\/\/ URL/,
  );
  t.throws(() => loadConfig({ MAIL_FROM: 'Reports' }), /MAIL_FROM="Reports"/);
  t.end();
});
