import { sql } from 'drizzle-orm';
import { rows, type DbOrTx } from '../client.js';

export type RunningCrawl = {
  sourceId: string;
  projectId: string;
  projectName: string;
  type: 'website' | 'files';
  name: string;
  url: string | null;
  status: 'queued' | 'running';
  maxPages: number;
  startedAt: Date | null;
  done: number;
  pending: number;
  failed: number;
  skipped: number;
};

/**
 * The sources being read now, across live projects, longest running first: websites whose crawl is queued
 * or running, and files sources with documents waiting to be indexed. A crawl's pages are those it reached:
 * done once fetched by this crawl, pending until then; a files source's documents are done once indexed,
 * failed or skipped.
 */
export async function runningCrawls(db: DbOrTx): Promise<RunningCrawl[]> {
  return rows<RunningCrawl>(
    db,
    sql`
    select s.id as "sourceId", s.project_id as "projectId", p.project_name as "projectName", s.type, s.name, s.url,
      case when s.type = 'website' then s.status::text else 'running' end as status,
      s.max_pages as "maxPages", case when s.type = 'website' then s.crawl_started_at end as "startedAt",
      d.done, d.pending, d.failed, d.skipped
    from sources s
    join projects p on p.id = s.project_id and p.deleted_at is null
    cross join lateral (
      select (count(*) filter (where checked))::int as done,
        (count(*) filter (where not checked))::int as pending,
        (count(*) filter (where checked and x.status = 'failed'))::int as failed,
        (count(*) filter (where checked and x.status = 'skipped'))::int as skipped
      from (
        select dd.status,
          case when s.type = 'website' then dd.checked_crawl_id is not distinct from s.crawl_id
            else dd.status <> 'queued' end as checked
        from documents dd
        where dd.source_id = s.id and (s.type = 'files' or dd.crawl_id = s.crawl_id)
      ) x
    ) d
    where s.deleted_at is null
      and (s.type = 'website' and s.status in ('queued', 'running')
        or s.type = 'files' and exists (select 1 from documents q where q.source_id = s.id and q.status = 'queued'))
    order by coalesce(s.crawl_started_at, s.created_at), s.id`,
  );
}
