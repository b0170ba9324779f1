import { sql } from 'drizzle-orm';
import { rows, type DbOrTx } from '../client.js';
import { crawlJob } from '../../jobs/specs.js';

/**
 * Starts a new crawl of a website source in the caller's transaction: a fresh crawl id (the pages the
 * previous crawl left queued become stale and are skipped by their jobs), status queued, and the crawl's
 * job, keyed by the source (a crawl job still queued is replaced by this one).
 */
export async function startCrawl(db: DbOrTx, sourceId: string): Promise<void> {
  await rows(
    db,
    sql`
    with s as (
      update sources set crawl_id = gen_random_uuid(), status = 'queued', error = null, crawl_started_at = now()
      where id = ${sourceId}::uuid and deleted_at is null
      returning id, crawl_id
    )
    select ${crawlJob(sql`s.id`, sql`s.crawl_id`)} from s`,
  );
}
