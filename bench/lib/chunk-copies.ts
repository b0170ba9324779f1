// Copies of a crawled project's documents and chunks, for search at scale: more sources in the project until it
// holds `projectChunks`, then other projects holding the same until the database holds `totalChunks`. A copy
// brings the words (tsv) of the chunk it copies, so nothing is parsed again; the GIN index is built once after.
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../src/db/client.js';
import { recomputeSearchStats } from '../../src/db/queries/search-stats.js';
import { createTenant } from './database.js';
import { step } from './report.js';

const count = async (db: Db, where = sql`true`) =>
  (await rows<{ n: number }>(db, sql`select count(*)::int as n from chunks where ${where}`))[0].n;

export const projectChunks = (db: Db, projectId: string) => count(db, sql`project_id = ${projectId}`);
export const totalChunks = (db: Db) => count(db);

/** One copy of source `from` (its documents and chunks) as a new ready files source of `projectId`. */
async function copySource(db: Db, from: string, projectId: string, name: string) {
  await rows(
    db,
    sql`
    with s as (
      insert into sources (project_id, type, name, status) values (${projectId}, 'files', ${name}, 'ready') returning id
    ), d as (
      insert into documents (source_id, project_id, path, url, title, status, chunks)
      select s.id, ${projectId}, path, url, title, status, chunks from documents, s where source_id = ${from}
      returning id, path
    )
    insert into chunks (project_id, source_id, document_id, position, title, section, url, body, tsv)
    select ${projectId}, s.id, d.id, c.position, c.title, c.section, c.url, c.body, c.tsv
    from chunks c join documents od on od.id = c.document_id join d on d.path = od.path cross join s
    where c.source_id = ${from}`,
  );
}

export async function copyChunks(db: Db, p: { projectId: string; projectChunks: number; totalChunks: number }) {
  const [{ id: from }] = await rows<{ id: string }>(
    db,
    sql`select id from sources where project_id = ${p.projectId} order by created_at limit 1`,
  );
  const perCopy = await count(db, sql`source_id = ${from}`);
  await rows(db, sql`drop index chunks_project_tsv_idx`);
  let copies = 0;
  // At least the chunks asked for: a copy is a whole site.
  while ((await projectChunks(db, p.projectId)) < p.projectChunks)
    await copySource(db, from, p.projectId, `copy ${++copies}`);
  const perProject = await projectChunks(db, p.projectId);
  for (let n = 1; (await totalChunks(db)) < p.totalChunks; n++) {
    const other = await createTenant(db, `other ${n}`);
    for (let k = 0; k * perCopy < perProject; k++) await copySource(db, from, other.projectId, `copy ${k}`);
    if (n % 5 === 0) step(`${n} other projects`);
  }
  step('building the search index');
  await db.$client.begin(async (tx) => {
    await tx`set local maintenance_work_mem = '1GB'`;
    await tx`create index chunks_project_tsv_idx on chunks using gin (project_id, tsv)`;
  });
  await db.$client`vacuum analyze chunks`;
  await db.$client`vacuum analyze documents`;
  await recomputeSearchStats(db, p.projectId);
}
