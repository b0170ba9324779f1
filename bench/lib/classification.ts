// Helpers of bench:backfill, bench:lag and bench:load: a backlog of unlabelled threads, paced chats, label lags
// read from the database.
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'drizzle-orm';
import type { Db } from '../../src/db/client.js';
import { seedManyThreads } from '../../src/db/queries/seed.js';
import type { Tenant } from './database.js';
import { fetchOnce } from './http.js';

/** Seeds `count` unlabelled threads as `npm run seed` does, then VACUUM ANALYZE threads. */
export async function seedBacklog(db: Db, projectId: string, count: number): Promise<void> {
  await seedManyThreads(db, { projectId, count });
  await db.execute(sql`vacuum analyze threads`);
}

/** Whether any thread of the project is unlabelled: cheap (the first entry of a partial index). */
export async function anyUnlabelled(db: Db, projectId: string): Promise<boolean> {
  const rows = await db.execute(
    sql`select 1 from threads where project_id = ${projectId} and category_id is null limit 1`,
  );
  return rows.length > 0;
}

/** Unlabelled threads of the project: a count over the partial index, not to be run in a tight loop. */
export async function unlabelled(db: Db, projectId: string): Promise<number> {
  const [row] = await db.execute<{ n: number }>(
    sql`select count(*)::int as n from threads where project_id = ${projectId} and category_id is null`,
  );
  return row.n;
}

/**
 * One new-thread chat every `everyMs` for `seconds` (one connection): the chat latencies in ms, and the ids
 * of the threads created.
 */
export async function pacedChats(
  baseUrl: string,
  tenant: Tenant,
  seconds: number,
  everyMs: number,
  answered?: (threadId: string) => void,
) {
  const latencies: number[] = [];
  const threadIds: string[] = [];
  const end = Date.now() + seconds * 1000;
  for (let n = 0; Date.now() < end; n++) {
    const next = Date.now() + everyMs;
    const started = process.hrtime.bigint();
    const res = await fetchOnce(baseUrl, {
      method: 'POST',
      path: `/query/v1/projects/${tenant.projectId}/chat`,
      headers: { 'x-api-key': tenant.key, 'content-type': 'application/json' },
      body: () => JSON.stringify({ question: `How do I configure webhooks for service ${n}?` }),
    });
    latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
    if (res.status !== 200) throw new Error(`chat answered ${res.status}: ${res.body}`);
    threadIds.push((JSON.parse(res.body) as { thread_id: string }).thread_id);
    answered?.(threadIds.at(-1)!);
    await sleep(Math.max(0, next - Date.now()));
  }
  return { latencies, threadIds };
}

/**
 * Seconds from each thread's creation (its chat's answer) to its stored label, both PostgreSQL clock
 * times; waits up to `waitSeconds` for the last labels. Unlabelled threads count as not labelled.
 */
export async function labelLags(db: Db, threadIds: string[], waitSeconds: number) {
  const ids = `{${threadIds.join(',')}}`;
  const deadline = Date.now() + waitSeconds * 1000;
  for (;;) {
    const rows = await db.execute<{ lag: number | null }>(sql`
      select extract(epoch from categorized_at - created_at)::float8 as lag from threads where id = any(${ids}::uuid[])`);
    const lags = rows.flatMap((r) => (r.lag === null ? [] : [r.lag]));
    if (lags.length === threadIds.length || Date.now() > deadline)
      return { lags, missing: threadIds.length - lags.length };
    await sleep(250);
  }
}
