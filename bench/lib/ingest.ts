// Knowledge sources through a real API server, for benchmarks: a site crawled as a website source of a new
// project, then refreshed unchanged, each timed as a user sees it (from the request to the source's status ready).
import http from 'node:http';
import { sql } from 'drizzle-orm';
import { rows, type Db } from '../../src/db/client.js';
import { createTenant } from './database.js';
import { step } from './report.js';

type SourceJson = {
  id: string;
  status: string;
  documents: { total: number; indexed: number; failed: number; skipped: number };
  chunks: number;
  last_refreshed_at: string | null;
};

/** One keep-alive connection's JSON requests. */
export function client(baseUrl: string, key: string) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  return (method: string, path: string, body?: unknown) =>
    new Promise<{ status: number; json: unknown; ms: number }>((resolve, reject) => {
      const t0 = process.hrtime.bigint();
      const data = body === undefined ? undefined : JSON.stringify(body);
      const headers: Record<string, string> = { 'x-api-key': key };
      if (data) headers['content-type'] = 'application/json';
      const req = http.request(new URL(path, baseUrl), { method, headers, agent }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            json: text ? JSON.parse(text) : null,
            ms: Number(process.hrtime.bigint() - t0) / 1e6,
          }),
        );
      });
      req.on('error', reject);
      req.end(data);
    });
}

/** Waits until the source is ready after `since` (its last_refreshed_at moved); the seconds it took. */
async function crawled(call: ReturnType<typeof client>, path: string, since: string | null, t0: bigint) {
  for (;;) {
    const { json } = await call('GET', path);
    const source = json as SourceJson;
    if (source.status === 'failed') throw new Error(`the crawl failed: ${JSON.stringify(source)}`);
    if (source.status === 'ready' && source.last_refreshed_at !== since)
      return { source, seconds: Number(process.hrtime.bigint() - t0) / 1e9 };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Waits until the project's search statistics were computed at `since` or later. */
async function statsSince(db: Db, projectId: string, since: string) {
  for (;;) {
    const [stats] = await rows<{ done: boolean }>(
      db,
      sql`select exists (select 1 from search_stats
            where project_id = ${projectId} and computed_at >= ${since}::timestamptz) as done`,
    );
    if (stats.done) return;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Crawls the site at `baseUrl` as a new website source of a new project, then refreshes it unchanged: the pages
 * per second of each, the source, and the project (whose statistics are computed by then).
 */
export async function ingest(db: Db, apiUrl: string, name: string, baseUrl: string) {
  const tenant = await createTenant(db, name);
  const call = client(apiUrl, tenant.key);
  step(`${name}: first crawl`);
  let t0 = process.hrtime.bigint();
  const created = await call('POST', `/query/v1/projects/${tenant.projectId}/sources`, {
    type: 'website',
    name,
    url: `${baseUrl}/index.html`,
    refresh: 'never',
  });
  if (created.status !== 201) throw new Error(`source creation: ${created.status} ${JSON.stringify(created.json)}`);
  const sourcePath = `/query/v1/projects/${tenant.projectId}/sources/${(created.json as SourceJson).id}`;
  const first = await crawled(call, sourcePath, null, t0);
  // The crawl's statistics (sources__stats: word frequencies, concepts) are computed a moment after it ends:
  // wait for them, so that the refresh is timed alone (a refresh comes days later, not beside that job) and
  // ranking uses them.
  await statsSince(db, tenant.projectId, first.source.last_refreshed_at!);
  step(`${name}: refresh of the unchanged site`);
  t0 = process.hrtime.bigint();
  await call('POST', `${sourcePath}/refresh`);
  const refresh = await crawled(call, sourcePath, first.source.last_refreshed_at, t0);
  const pages = first.source.documents.total;
  return {
    name,
    tenant,
    call,
    pages,
    chunks: first.source.chunks,
    first: { seconds: first.seconds, rate: pages / first.seconds },
    refresh: { seconds: refresh.seconds, rate: pages / refresh.seconds },
  };
}
