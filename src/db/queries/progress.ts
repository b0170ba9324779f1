import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../client.js';

export type Progress = { total: number; unlabelled: number; parked: number };

/** Threads in all, still unlabelled, and parked (their project has no category); for one project or all. */
export async function classificationProgress(db: DbOrTx, p: { projectId?: string } = {}): Promise<Progress> {
  const project = p.projectId ? sql`and project_id = ${p.projectId}` : sql``;
  const [row] = await db.execute<Progress>(sql`
    select (select count(*)::int from threads where true ${project}) as total,
           (select count(*)::int from threads where category_id is null ${project}) as unlabelled,
           (select count(*)::int from threads where category_id is null and classification_due_at = 'infinity' ${project}) as parked`);
  return row!;
}

export type ProjectBacklog = { project_id: string; project_name: string; unlabelled: number; parked: number };

/** Unlabelled threads per project, largest backlog first. */
export async function backlogByProject(db: DbOrTx): Promise<ProjectBacklog[]> {
  return [
    ...(await db.execute<ProjectBacklog>(sql`
      select p.id as project_id, p.project_name, b.unlabelled, b.parked
      from (
        select project_id, count(*)::int as unlabelled,
               count(*) filter (where classification_due_at = 'infinity')::int as parked
        from threads where category_id is null group by project_id
      ) b join projects p on p.id = b.project_id
      order by b.unlabelled desc, p.id`)),
  ];
}

/**
 * Threads labelled per second by the classifier over the last one to two minutes, per project and in all
 * (from classification_minutes, so across every worker process).
 */
export async function classificationRates(db: DbOrTx): Promise<{ total: number; byProject: Map<string, number> }> {
  const rows = await db.execute<{ project_id: string; rate: number }>(sql`
    select project_id,
      sum(labelled)::float8 / greatest(extract(epoch from now() - (date_trunc('minute', now()) - interval '1 minute')), 1) as rate
    from classification_minutes
    where minute >= date_trunc('minute', now()) - interval '1 minute'
    group by project_id`);
  const byProject = new Map(rows.map((r) => [r.project_id, r.rate]));
  return { total: rows.reduce((sum, r) => sum + r.rate, 0), byProject };
}

export async function forgetOldRates(db: DbOrTx): Promise<void> {
  await db.execute(sql`delete from classification_minutes where minute < now() - interval '1 day'`);
}
