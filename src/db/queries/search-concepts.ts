import { sql } from 'drizzle-orm';
import { LRUCache } from 'lru-cache';
import { rows, type Db } from '../client.js';

// The concept side of search (src/sources/concepts.ts): the question's vector, the sum of its words', against
// each page's by cosine. A project's page vectors are read once per recomputation of its statistics and kept
// by the process (a 2,000-page project's take 400 KB), the least recently searched projects dropped first.

type PageVectors = { computedAt: string; ids: string[]; vectors: Float32Array; dimensions: number };

const cache = new LRUCache<string, PageVectors>({
  maxSize: 64 * 1024 * 1024,
  sizeCalculation: (p) => p.vectors.byteLength + p.ids.length * 64,
});

async function pageVectors(db: Db, projectId: string, computedAt: string): Promise<PageVectors | null> {
  const cached = cache.get(projectId);
  if (cached?.computedAt === computedAt) return cached;
  const pages = await rows<{ id: string; concept: number[] }>(
    db,
    sql`select document_id as id, to_json(concept) as concept from page_concepts where project_id = ${projectId}`,
  );
  if (pages.length === 0) {
    cache.delete(projectId);
    return null;
  }
  const dimensions = pages[0].concept.length;
  const vectors = new Float32Array(pages.length * dimensions);
  pages.forEach((p, i) => vectors.set(p.concept, i * dimensions));
  const loaded = { computedAt, ids: pages.map((p) => p.id), vectors, dimensions };
  cache.set(projectId, loaded);
  return loaded;
}

/**
 * The project's pages nearest the question in concept, best first, at most `limit`: their document ids and
 * cosines. None when the project has no concepts yet or none of the question's words has one.
 */
export async function nearestPages(
  db: Db,
  p: { projectId: string; computedAt: string | null; words: number[][]; limit: number },
): Promise<{ id: string; cosine: number }[]> {
  if (p.words.length === 0 || p.computedAt === null) return [];
  const pages = await pageVectors(db, p.projectId, p.computedAt);
  if (!pages) return [];
  const question = new Float64Array(pages.dimensions);
  for (const word of p.words) word.forEach((x, r) => (question[r] += x));
  const norm = Math.hypot(...question);
  if (norm === 0) return [];
  const cosines = pages.ids.map((id, i) => {
    let dot = 0;
    for (let r = 0; r < pages.dimensions; r++) dot += question[r] * pages.vectors[i * pages.dimensions + r];
    return { id, cosine: dot / norm };
  });
  return cosines.sort((a, b) => b.cosine - a.cosine).slice(0, p.limit);
}
