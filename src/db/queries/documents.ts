import { and, asc, eq, sql } from 'drizzle-orm';
import { rows, run, type Db, type DbOrTx } from '../client.js';
import { documents } from '../schema/index.js';
import { indexPageSpec, searchStatsJob } from '../../jobs/specs.js';
import { afterPosition, cursorAt, toPage, type PageParams } from './paging.js';
import { lane, lockSource, oneSource, type SourceKey } from './sources.js';
import type { DocumentRow } from '../../schemas/documents.js';

// The documents of a project's sources: a files source's uploads, a website's crawled pages, as the API lists them.

const documentColumns = {
  id: documents.id,
  sourceId: documents.sourceId,
  url: documents.url,
  path: documents.path,
  title: documents.title,
  status: documents.status,
  reason: documents.reason,
  chunks: documents.chunks,
  indexedAt: documents.indexedAt,
};

export type PutDocument = {
  path: string;
  content: string;
  contentType: string;
  title: string | null;
  url: string | null;
};

/**
 * Stores a file of a files source by its path (replacing the one there) and queues its indexing, both or
 * neither; its earlier chunks stay searchable until then. 'website' for a website source, null if the source
 * is not one of the project's live ones.
 */
export async function putDocument(
  db: Db,
  p: SourceKey & { lanes: number; document: PutDocument },
): Promise<DocumentRow | 'website' | null> {
  return db.transaction(async (tx) => {
    const source = await lockSource(tx, p, 'share');
    if (!source) return null;
    if (source.type === 'website') return 'website';
    const fields = { ...p.document, status: 'queued' as const, reason: null };
    const [doc] = await run(
      tx
        .insert(documents)
        .values({ sourceId: p.sourceId, projectId: p.projectId, ...fields })
        .onConflictDoUpdate({
          target: [documents.sourceId, documents.path],
          set: { ...fields, updatedAt: sql`now()` },
        })
        .returning(documentColumns),
    );
    const id = sql`${doc.id}::uuid`;
    const spec = indexPageSpec(sql`${p.sourceId}::uuid`, id, sql`null::uuid`, lane(id, p.lanes));
    await rows(tx, sql`select graphile_worker.add_jobs(array[${spec}])`);
    return doc;
  });
}

/** A page of the source's documents, oldest first; null if the source is not one of the project's live ones. */
export async function listDocuments(db: Db, p: SourceKey & { status?: DocumentRow['status'] } & PageParams) {
  if (!(await getSourceId(db, p))) return null;
  const query = db
    .select({ ...documentColumns, cursorAt: cursorAt(documents.createdAt) })
    .from(documents)
    .where(
      and(
        eq(documents.sourceId, p.sourceId),
        p.status !== undefined ? eq(documents.status, p.status) : undefined,
        afterPosition(documents.createdAt, documents.id, p.after),
      ),
    )
    .orderBy(asc(documents.createdAt), asc(documents.id))
    .$dynamic();
  return toPage(await run(p.limit === undefined ? query : query.limit(p.limit + 1)), p.limit);
}

async function getSourceId(db: DbOrTx, p: SourceKey) {
  const [row] = await rows<{ id: string }>(
    db,
    sql`select id from sources s where ${oneSource(p)} and deleted_at is null`,
  );
  return row?.id ?? null;
}

/**
 * Removes a document and its chunks from a live source of the project; false if there is none such, 'busy'
 * while a website's crawl is under way (a crawl ends when its last page is checked: the one removed might be it).
 */
export async function deleteDocument(db: Db, p: SourceKey & { documentId: string }): Promise<boolean | 'busy'> {
  return db.transaction(async (tx) => {
    const source = await lockSource(tx, p, 'update');
    if (!source) return false;
    const doc = and(eq(documents.id, p.documentId), eq(documents.sourceId, p.sourceId));
    const [found] = await run(tx.select({ id: documents.id }).from(documents).where(doc));
    if (!found) return false;
    if (source.type === 'website' && (source.status === 'queued' || source.status === 'running')) return 'busy';
    await run(tx.delete(documents).where(doc));
    await rows(tx, sql`select ${searchStatsJob(sql`${p.projectId}::uuid`)}`);
    return true;
  });
}
