// What a usage report says, independent of HTML or plain text: the rows of each project's table, the
// period labels and the definitions. render.ts (plain text) and html.ts lay them out.
import type { Counts, ProjectUsage } from '../db/queries/report-usage.js';
import { lastDay, parseDay, type DuePeriod, type Period } from './schedule.js';

export interface ReportContent {
  recipientName: string | null;
  teamName: string;
  period: DuePeriod;
  previous: Period;
  projects: (ProjectUsage & { name: string; product: string })[];
}

export interface Row {
  label: string;
  /** A category row, shown under its heading. */
  nested: boolean;
  /** A heading row: a label, no figures. */
  heading?: boolean;
  current: string;
  previous: string;
  change: string;
}

export const INTERVAL_WORDS = {
  WEEKLY: { adjective: 'weekly', before: 'the week before' },
  BIWEEKLY: { adjective: 'biweekly', before: 'the two weeks before' },
  MONTHLY: { adjective: 'monthly', before: 'the month before' },
} as const;

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];
const parts = (day: string) => {
  const d = new Date(parseDay(day));
  return { day: d.getUTCDate(), month: MONTHS[d.getUTCMonth()], year: d.getUTCFullYear() };
};

/** "16 to 22 November 2026", "30 November to 6 December 2026", or "October 2026" for a whole month. */
export function periodLabel(p: Period, monthly: boolean): string {
  const a = parts(p.start);
  const b = parts(lastDay(p));
  if (monthly) return `${a.month} ${a.year}`;
  if (a.year !== b.year) return `${a.day} ${a.month} ${a.year} to ${b.day} ${b.month} ${b.year}`;
  if (a.month !== b.month) return `${a.day} ${a.month} to ${b.day} ${b.month} ${b.year}`;
  return `${a.day} to ${b.day} ${b.month} ${b.year}`;
}

/** A column heading: "16-22 Nov", "30 Nov-6 Dec", "Oct 2026". */
export function shortLabel(p: Period, monthly: boolean): string {
  const a = parts(p.start);
  const b = parts(lastDay(p));
  const short = (m: string) => m.slice(0, 3);
  if (monthly) return `${short(a.month)} ${a.year}`;
  return a.month === b.month
    ? `${a.day}-${b.day} ${short(b.month)}`
    : `${a.day} ${short(a.month)}-${b.day} ${short(b.month)}`;
}

const signed = (n: number) => (n > 0 ? `+${n}` : String(n));

/** "+5 (+250%)", "-2 (-67%)", "+3 (new)", "no change". */
export function countChange(c: Counts): string {
  const diff = c.current - c.previous;
  if (diff === 0) return 'no change';
  if (c.previous === 0) return `${signed(diff)} (new)`;
  return `${signed(diff)} (${signed(Math.round((100 * diff) / c.previous))}%)`;
}

const percent = (part: number, whole: number) => Math.round((100 * part) / whole);
const share = (part: number, whole: number) =>
  whole === 0 ? 'none labelled' : `${percent(part, whole)}% (${part} of ${whole})`;

/** The rows of one project's table, in order. */
export function projectRows(p: ReportContent['projects'][number]): Row[] {
  const count = (label: string, c: Counts, nested = false): Row => ({
    label,
    nested,
    current: String(c.current),
    previous: String(c.previous),
    change: countChange(c),
  });
  const { userLabels: u, labelled: l } = p;
  const points =
    l.current > 0 && l.previous > 0 ? percent(u.current, l.current) - percent(u.previous, l.previous) : null;
  return [
    count('Questions asked', p.questions),
    count('New threads', p.threads),
    { label: 'New threads by category', nested: false, heading: true, current: '', previous: '', change: '' },
    ...p.categories.map((c) => count(c.name ?? 'Unlabelled', c.counts, true)),
    {
      label: 'Labels corrected by users',
      nested: false,
      current: share(u.current, l.current),
      previous: share(u.previous, l.previous),
      change: points === null ? '-' : points === 0 ? 'no change' : `${signed(points)} points`,
    },
  ];
}

/** The definitions printed under every report, paragraph by paragraph. */
export const DEFINITIONS = [
  'Questions asked: every question put to the bot in the period, first questions and follow-ups alike.',
  'New threads: conversations started in the period. Their categories are the labels they carry now; ' +
    'unlabelled threads are still waiting for the classifier (or their project has no categories).',
  'Labels corrected by users: of the new threads that carry a label, the share whose label a user set ' +
    'through the API instead of the classifier, i.e. how often the classifier was overruled.',
  'Periods are UTC calendar days. The change compares with the period of the same kind just before ' +
    '(the previous week, the previous two weeks, or the previous calendar month).',
];
