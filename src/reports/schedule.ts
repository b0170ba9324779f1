// When usage reports are due and which period they cover. Days are UTC calendar days as 'YYYY-MM-DD';
// a period is [start, end): `end` is the day the report goes out, never part of the period.
import type { DigestInterval } from '../db/schema/index.js';

export interface Period {
  start: string;
  end: string;
}
export interface DuePeriod extends Period {
  interval: DigestInterval;
}

const DAY_MS = 86_400_000;
// BIWEEKLY reports go out on the Mondays an even number of weeks after Monday 1970-01-05, the first
// Monday of the Unix epoch (e.g. 2026-11-23, 2026-12-07, 2027-01-04). ISO week parity would not do:
// a year with 53 ISO weeks (2026) ends on an odd week and the next starts on week 1, odd again.
const BIWEEKLY_ANCHOR_MS = Date.UTC(1970, 0, 5);

/** Milliseconds at 00:00 UTC of a 'YYYY-MM-DD' day; throws on anything else (2026-02-30 included). */
export function parseDay(day: string): number {
  const ms = /^\d{4}-\d{2}-\d{2}$/.test(day) ? Date.parse(`${day}T00:00:00Z`) : Number.NaN;
  if (Number.isNaN(ms) || formatDay(ms) !== day) throw new RangeError(`not a date (YYYY-MM-DD): ${day}`);
  return ms;
}

export const formatDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The UTC day of an instant. */
export const utcDay = (at: Date): string => formatDay(at.getTime());

const addDays = (day: string, days: number): string => formatDay(parseDay(day) + days * DAY_MS);

const addMonths = (day: string, months: number): string => {
  const d = new Date(parseDay(day));
  return formatDay(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + months, d.getUTCDate()));
};

/**
 * The reports due on `day`: WEEKLY on Mondays for the Monday-to-Sunday week before, BIWEEKLY on every
 * second Monday (see the anchor above) for the two weeks before, MONTHLY on the 1st for the month before.
 */
export function duePeriods(day: string): DuePeriod[] {
  const ms = parseDay(day);
  const due: DuePeriod[] = [];
  if (new Date(ms).getUTCDay() === 1) {
    due.push({ interval: 'WEEKLY', start: addDays(day, -7), end: day });
    const weeks = Math.round((ms - BIWEEKLY_ANCHOR_MS) / (7 * DAY_MS));
    if (weeks % 2 === 0) due.push({ interval: 'BIWEEKLY', start: addDays(day, -14), end: day });
  }
  if (day.endsWith('-01')) due.push({ interval: 'MONTHLY', start: addMonths(day, -1), end: day });
  return due;
}

/** The period a report compares with: the week, two weeks or calendar month just before. */
export function previousPeriod(p: DuePeriod): Period {
  if (p.interval === 'MONTHLY') return { start: addMonths(p.start, -1), end: p.start };
  const days = p.interval === 'WEEKLY' ? 7 : 14;
  return { start: addDays(p.start, -days), end: p.start };
}

/** The instant a period boundary stands for, for timestamptz comparisons. */
export const dayStart = (day: string): string => `${day}T00:00:00Z`;

/** The last day of a period (the end is exclusive). */
export const lastDay = (p: Period): string => addDays(p.end, -1);
