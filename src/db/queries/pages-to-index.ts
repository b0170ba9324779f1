import { sql } from 'drizzle-orm';
import { rows, type DbOrTx } from '../client.js';
import { LIVE } from './crawl.js';

// What a page's (or uploaded file's) index job reads before fetching: the document and its source, and for a
// crawl's lane the next pending page it takes.

export type PageToIndex = {
  id: string;
  sourceId: string;
  projectId: string;
  type: 'website' | 'files';
  path: string;
  url: string | null;
  title: string | null;
  status: 'queued' | 'indexed' | 'failed' | 'skipped';
  contentType: string | null;
  content: string | null;
  contentHash: string | null;
  etag: string | null;
  lastModified: string | null;
  links: string[] | null;
  crawlId: string | null;
  checkedCrawlId: string | null;
  source: { url: string | null; include: string[]; exclude: string[]; robots: string | null; crawlId: string | null };
};

const PAGE_TO_INDEX = sql`
  select d.id, d.source_id as "sourceId", d.project_id as "projectId", s.type, d.path, d.url, d.title, d.status,
    d.content_type as "contentType", d.content, d.content_hash as "contentHash", d.etag,
    d.last_modified as "lastModified", to_json(d.links) as links, d.crawl_id as "crawlId",
    d.checked_crawl_id as "checkedCrawlId",
    json_build_object('url', s.url, 'include', s.include, 'exclude', s.exclude, 'robots', s.robots,
      'crawlId', s.crawl_id) as source
  from documents d join sources s on s.id = d.source_id`;

/** A document of a live source with what its index job needs; null when it or its source is gone. */
export async function pageToIndex(db: DbOrTx, sourceId: string, documentId: string): Promise<PageToIndex | null> {
  const [d] = await rows<PageToIndex>(
    db,
    sql`${PAGE_TO_INDEX} where d.id = ${documentId} and d.source_id = ${sourceId} and ${LIVE}`,
  );
  return d ?? null;
}

/**
 * Takes a pending page of the crawl for the lane job `jobId`: one no running job holds (its own first, when
 * it runs again after its worker died). `page`, or none left to take, with `waiting` when other lanes still
 * hold pages (whose links may reach more). Nothing at all when the crawl is stale.
 */
export async function claimPage(
  db: DbOrTx,
  p: { sourceId: string; crawlId: string; jobId: string },
): Promise<{ page: PageToIndex } | { page: null; waiting: boolean }> {
  const pending = sql`d.source_id = ${p.sourceId} and d.crawl_id = ${p.crawlId}
    and d.checked_crawl_id is distinct from d.crawl_id
    and exists (select 1 from sources s where s.id = d.source_id and s.crawl_id = ${p.crawlId} and ${LIVE})`;
  const [r] = await rows<{ page: PageToIndex | null; waiting: boolean }>(
    db,
    sql`
    with taken as (
      update documents set claimed_by = ${p.jobId}::bigint
      where id = (
        select d.id from documents d
        where ${pending} and (d.claimed_by is null or d.claimed_by = ${p.jobId}::bigint or not exists (
          select 1 from graphile_worker.jobs j where j.id = d.claimed_by and j.locked_at is not null))
        order by d.claimed_by is not distinct from ${p.jobId}::bigint desc
        limit 1 for update of d skip locked)
      returning id
    )
    select (select to_json(page) from (${PAGE_TO_INDEX} where d.id = (select id from taken)) page) as page,
      exists (select 1 from documents d where ${pending}) as waiting`,
  );
  return r.page ? { page: r.page } : { page: null, waiting: r.waiting };
}
