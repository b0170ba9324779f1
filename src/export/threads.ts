import { stringify } from 'csv-stringify/sync';
import type { Db } from '../db/client.js';
import { listThreads, type ListThreadsParams, type ThreadRecord } from '../db/queries/thread-list.js';
import { withQuestionAnswers } from '../db/queries/thread-export.js';
import { toExportThread, toThread } from '../schemas/threads.js';

// The export reads the list's pages, this many threads each: memory stays flat, and no statement runs long.
const EXPORT_PAGE = 2000;

export const CSV_COLUMNS = [
  'id',
  'created_at',
  'updated_at',
  'first_question',
  'total_questions',
  'category_id',
  'category_name',
  'category_source',
  'categorized_at',
];

/**
 * Every thread the filters match, a page at a time, in the list's order. The first page is read before
 * anything is sent, so a database that is down answers the usual JSON 503, not a cut-off file.
 */
export async function exportPages(
  db: Db,
  p: Omit<ListThreadsParams, 'limit'>,
): Promise<AsyncGenerator<ThreadRecord[]>> {
  const first = await listThreads(db, { ...p, limit: EXPORT_PAGE });
  return (async function* () {
    let page = first;
    yield page.threads;
    while (page.next) {
      page = await listThreads(db, { ...p, limit: EXPORT_PAGE, cursor: page.next });
      yield page.threads;
    }
  })();
}

/** CSV (RFC 4180: a header row, CRLF, csv-stringify's quoting; empty fields for null), a page per chunk. */
export async function* csv(pages: AsyncGenerator<ThreadRecord[]>) {
  let header = true;
  for await (const page of pages) {
    const records = page.map((t) => {
      const th = toThread(t);
      return [
        th.id,
        th.created_at,
        th.updated_at,
        th.first_question,
        th.total_questions,
        th.category?.id,
        th.category?.name,
        th.category_source,
        th.categorized_at,
      ];
    });
    yield stringify(records, { header, columns: CSV_COLUMNS, record_delimiter: 'windows' });
    header = false;
  }
}

/** NDJSON: a thread with its question-answers per line, as the thread detail shows it, with their reactions. */
export async function* ndjson(db: Db, projectId: string, pages: AsyncGenerator<ThreadRecord[]>) {
  for await (const page of pages) {
    const details = await withQuestionAnswers(db, projectId, page);
    yield details.map((t) => `${JSON.stringify(toExportThread(t))}\n`).join('');
  }
}
