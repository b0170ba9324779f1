// A report's figures: a team's projects, and each one's usage in a period against the period before.
import { and, asc, eq, isNull, sql } from 'drizzle-orm';
import { rows, run, type DbOrTx } from '../client.js';
import { projects } from '../schema/index.js';
import { dayStart, type Period } from '../../reports/schedule.js';
import { categoryStats } from './categories.js';

export async function teamProjects(db: DbOrTx, p: { teamId: string }) {
  return run(
    db
      .select({ id: projects.id, projectName: projects.projectName, productName: projects.productName })
      .from(projects)
      .where(and(eq(projects.teamId, p.teamId), isNull(projects.deletedAt)))
      .orderBy(asc(projects.createdAt), asc(projects.id)),
  );
}

export interface Counts {
  current: number;
  previous: number;
}

export interface ProjectUsage {
  questions: Counts;
  threads: Counts;
  /** Threads of the period that carry a label, and those whose label a user set. */
  labelled: Counts;
  userLabels: Counts;
  /** Every category of the project (zero included), then `null`: unlabelled. */
  categories: { name: string | null; counts: Counts }[];
}

/**
 * One project's usage in a period and in the period before it (which ends where this one starts).
 * Questions are question_answers created in the period (first questions and follow-ups); threads, labels
 * and categories are about the threads created in the period, labelled as they are now.
 */
export async function projectUsage(
  db: DbOrTx,
  p: { projectId: string; period: Period; previous: Period },
): Promise<ProjectUsage> {
  const [from, split, to] = [p.previous.start, p.period.start, p.period.end].map(dayStart);
  const [row] = await rows<{
    questions: number;
    previousQuestions: number;
    threads: number;
    previousThreads: number;
    labelled: number;
    previousLabelled: number;
    userLabels: number;
    previousUserLabels: number;
  }>(
    db,
    sql`
    select q.*, t.* from
      (select count(*) filter (where created_at >= ${split}::timestamptz)::int as questions,
              count(*) filter (where created_at < ${split}::timestamptz)::int as "previousQuestions"
       from question_answers
       where project_id = ${p.projectId} and created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz) q,
      (select count(*) filter (where created_at >= ${split}::timestamptz)::int as threads,
              count(*) filter (where created_at < ${split}::timestamptz)::int as "previousThreads",
              count(category_id) filter (where created_at >= ${split}::timestamptz)::int as labelled,
              count(category_id) filter (where created_at < ${split}::timestamptz)::int as "previousLabelled",
              count(*) filter (where category_source = 'user' and created_at >= ${split}::timestamptz)::int as "userLabels",
              count(*) filter (where category_source = 'user' and created_at < ${split}::timestamptz)::int as "previousUserLabels"
       from threads
       where project_id = ${p.projectId} and created_at >= ${from}::timestamptz and created_at < ${to}::timestamptz) t`,
  );
  const current = await categoryStats(db, { projectId: p.projectId, createdAfter: split, createdBefore: to });
  const before = await categoryStats(db, { projectId: p.projectId, createdAfter: from, createdBefore: split });
  const previousById = new Map(before.map((c) => [c.id, c.count]));
  return {
    questions: { current: row.questions, previous: row.previousQuestions },
    threads: { current: row.threads, previous: row.previousThreads },
    labelled: { current: row.labelled, previous: row.previousLabelled },
    userLabels: { current: row.userLabels, previous: row.previousUserLabels },
    categories: current.map((c) => ({
      name: c.name,
      counts: { current: c.count, previous: previousById.get(c.id) ?? 0 },
    })),
  };
}
