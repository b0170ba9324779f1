// The machine's NOTIFY ceiling: how many commits a second PostgreSQL makes when each transaction notifies
// (graphile-worker's add_job does), against the same one-row insert without it. PostgreSQL commits notifying
// transactions one at a time: a cluster-wide lock is held from before the commit until after its WAL flush.
import postgres from 'postgres';
import { isStopping } from './cleanup.js';

/** Commits a second of one-row inserts over `connections` connections for `seconds`, with or without pg_notify. */
async function commitsPerSecond(
  sql: postgres.Sql,
  connections: number,
  seconds: number,
  notify: boolean,
): Promise<number> {
  const end = Date.now() + seconds * 1000;
  let commits = 0;
  const one = notify
    ? () =>
        sql`with i as (insert into notify_probe default values returning id) select pg_notify('bench_notify_probe', '') from i`
    : () => sql`insert into notify_probe default values`;
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (Date.now() < end && !isStopping()) {
        await one();
        commits++;
      }
    }),
  );
  return commits / seconds;
}

/** The median time of one one-row insert (its own commit, so its WAL flush) at one connection, in ms. */
async function commitLatency(sql: postgres.Sql, seconds: number): Promise<number> {
  const end = Date.now() + seconds * 1000;
  const times: number[] = [];
  while (Date.now() < end && !isStopping()) {
    const t0 = process.hrtime.bigint();
    await sql`insert into notify_probe default values`;
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return times.sort((a, b) => a - b)[Math.floor(times.length / 2)] ?? NaN;
}

/**
 * Plain and notifying commits a second, measured alternately (ABBA) `rounds` times each (the means); and the
 * median latency of one plain commit at one connection, the floor under every request that writes.
 */
export async function notifyCeiling(url: string, opts: { connections: number; seconds: number; rounds: number }) {
  const sql = postgres(url, { max: opts.connections, onnotice: () => {} });
  try {
    await sql`create table if not exists notify_probe (id bigserial primary key)`;
    const plain: number[] = [];
    const notifying: number[] = [];
    for (let i = 0; i < opts.rounds; i++) {
      for (const notify of i % 2 === 0 ? [false, true] : [true, false]) {
        (notify ? notifying : plain).push(await commitsPerSecond(sql, opts.connections, opts.seconds, notify));
      }
    }
    const oneCommitMs = await commitLatency(sql, opts.seconds);
    await sql`drop table notify_probe`;
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    return { plain: mean(plain), notifying: mean(notifying), oneCommitMs };
  } finally {
    await sql.end();
  }
}
