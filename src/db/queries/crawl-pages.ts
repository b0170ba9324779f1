import { createHash } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { rows, type Db, type DbOrTx } from '../client.js';
import { searchStatsJob } from '../../jobs/specs.js';
import type { ChunkDraft } from '../../sources/chunk.js';
import { LIVE, uuid } from './crawl.js';
import { reachLinks, type Reach } from './crawl-reach.js';
import type { PageToIndex } from './pages-to-index.js';

// One page's (or uploaded file's) index job: the one transaction that writes what it found (what it reads
// before fetching is in pages-to-index.ts). A job run twice (its worker killed after the commit) finds the page checked and does
// nothing; killed before, it runs again from the start: no page is indexed twice, none lost.

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
 * A website page's result, in one transaction: the document (and its chunks) checked by this crawl, and the
 * pages it links to reached (see reachLinks). The document's row lock makes a second run of its job wait,
 * then find it checked. Returns written: false when the job was stale (the crawl is no longer the source's,
 * or the page was checked).
 */
export async function writePage(
  db: Db,
  p: { doc: PageToIndex; crawlId: string; write: PageWrite; reach: Reach[] },
): Promise<{ written: boolean; reached: number }> {
  return db.transaction(async (tx) => {
    const [d] = await rows<{ id: string }>(
      tx,
      sql`select d.id from documents d join sources s on s.id = d.source_id and s.crawl_id = ${p.crawlId} and ${LIVE}
          where d.id = ${p.doc.id} and d.crawl_id = ${p.crawlId}
            and d.checked_crawl_id is distinct from ${p.crawlId} for update of d`,
    );
    if (!d) return { written: false, reached: 0 };
    await writeDocument(tx, p.doc, p.write, sql`, checked_crawl_id = ${p.crawlId}::uuid`);
    return { written: true, reached: await reachLinks(tx, p.doc.sourceId, p.crawlId, p.reach) };
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
