import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';
import { searchStatsJob } from '../../jobs/specs.js';
import type { ChunkDraft } from '../../sources/chunk.js';
import { finishIfDone, LIVE, lockCrawl, reach, uuid, type Reach } from './crawl.js';

// One page's (or uploaded file's) index job: what it reads before fetching, and the one transaction that
// writes what it found. A job run twice (its worker killed after the commit) finds the page checked and does
// nothing; killed before, it runs again from the start: no page is indexed twice, none lost.

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

/** What a page's fetch came to. `links`: its in-scope links, stored for the next crawl. */
export type PageWrite =
  | {
      kind: 'indexed';
      title: string;
      contentHash: string;
      etag: string | null;
      lastModified: string | null;
      links: string[];
      chunks: ChunkDraft[];
    }
  // Not modified (304) or the same text: the chunks stay; new validators and links when the page came whole.
  | { kind: 'unchanged'; etag?: string | null; lastModified?: string | null; links?: string[] }
  // Skipped (not a page we index, noindex, a duplicate, disallowed): out of the index.
  | { kind: 'skipped'; reason: string; links?: string[] }
  // A failure leaves the last good version searchable unless the page is gone (404, 410).
  | { kind: 'failed'; reason: string; gone: boolean };

const linksArray = (links: string[]) => sql`array(select json_array_elements_text(${JSON.stringify(links)}::json))`;

// PostgreSQL text cannot hold NUL characters, which a page may contain: dropped, or the page could never be stored.
const noNul = (s: string) => s.replaceAll('\u0000', '');
const storable = (c: ChunkDraft): ChunkDraft => ({
  ...c,
  title: noNul(c.title),
  section: noNul(c.section),
  body: noNul(c.body),
  url: c.url && noNul(c.url),
});

/** Deletes a document's chunks and inserts `chunks` in their place (in the caller's transaction). */
async function replaceChunks(
  tx: DbOrTx,
  doc: { id: string; sourceId: string; projectId: string },
  chunks: ChunkDraft[],
) {
  await rows(tx, sql`delete from chunks where document_id = ${doc.id}`);
  if (chunks.length === 0) return;
  await rows(
    tx,
    sql`insert into chunks (project_id, source_id, document_id, position, title, section, url, body)
        select ${uuid(doc.projectId)}, ${uuid(doc.sourceId)}, ${uuid(doc.id)}, c.position, c.title, c.section, c.url, c.body
        from json_to_recordset(${JSON.stringify(chunks.map(storable))}::json)
          as c(position int, title text, section text, url text, body text)`,
  );
}

/** The document's new state: its status and reason, validators, links, chunks (and `also`, more columns set). */
async function writeDocument(
  tx: DbOrTx,
  doc: { id: string; sourceId: string; projectId: string },
  w: PageWrite,
  also = sql``,
) {
  let set;
  switch (w.kind) {
    case 'indexed':
      await replaceChunks(tx, doc, w.chunks);
      set = sql`status = 'indexed', reason = null, title = ${noNul(w.title)}, content_hash = ${w.contentHash},
        etag = ${w.etag}, last_modified = ${w.lastModified}, links = ${linksArray(w.links)},
        chunks = ${w.chunks.length}, indexed_at = now()`;
      break;
    case 'unchanged':
      set = sql`status = 'indexed', reason = null
        ${w.etag !== undefined ? sql`, etag = ${w.etag}, last_modified = ${w.lastModified ?? null}` : sql``}
        ${w.links ? sql`, links = ${linksArray(w.links)}` : sql``}`;
      break;
    case 'skipped':
      await replaceChunks(tx, doc, []);
      set = sql`status = 'skipped', reason = ${w.reason}, chunks = 0, content_hash = null, etag = null,
        last_modified = null ${w.links ? sql`, links = ${linksArray(w.links)}` : sql``}`;
      break;
    case 'failed':
      if (w.gone) await replaceChunks(tx, doc, []);
      set = sql`status = 'failed', reason = ${w.reason}
        ${w.gone ? sql`, chunks = 0, content_hash = null, etag = null, last_modified = null, links = null` : sql``}`;
      break;
  }
  await rows(tx, sql`update documents set ${set}${also}, updated_at = now() where id = ${doc.id}`);
}

/**
 * A website page's result, in one transaction under the source's row lock: the document (and its chunks),
 * checked by this crawl, the pages it links to reached, and the finish job added if it was the last page.
 * Returns false when the job was stale (the crawl is no longer the source's, or the page was checked).
 */
export async function writePage(
  db: Db,
  p: { doc: PageToIndex; crawlId: string; write: PageWrite; reach: Reach[] },
): Promise<{ written: boolean; reached: number; finished: boolean }> {
  return db.transaction(async (tx) => {
    const s = await lockCrawl(tx, p.doc.sourceId, p.crawlId);
    const [d] = s
      ? await rows<{ id: string }>(
          tx,
          sql`select id from documents where id = ${p.doc.id} and crawl_id = ${p.crawlId}
              and checked_crawl_id is distinct from ${p.crawlId} for update`,
        )
      : [];
    if (!s || !d) return { written: false, reached: 0, finished: false };
    await writeDocument(tx, p.doc, p.write, sql`, checked_crawl_id = ${p.crawlId}::uuid`);
    const reached = await reach(tx, s, p.crawlId, p.reach);
    return { written: true, reached, finished: await finishIfDone(tx, p.doc.sourceId, p.crawlId) };
  });
}

export const contentDigest = (content: string) => createHash('md5').update(content).digest('hex');

/**
 * An uploaded file's result, unless its content changed since the job read it (a newer upload's job indexes
 * that one); then its project's word statistics are recomputed a moment later.
 */
export async function writeFile(db: Db, p: { doc: PageToIndex; digest: string; write: PageWrite }): Promise<boolean> {
  return db.transaction(async (tx) => {
    const [d] = await rows<{ id: string }>(
      tx,
      sql`select d.id from documents d join sources s on s.id = d.source_id
          where d.id = ${p.doc.id} and md5(d.content) = ${p.digest} and ${LIVE} for update of d`,
    );
    if (!d) return false;
    await writeDocument(tx, p.doc, p.write);
    await rows(tx, sql`select ${searchStatsJob(uuid(p.doc.projectId))}`);
    return true;
  });
}
