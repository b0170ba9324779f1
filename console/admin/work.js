// The work in the background, updated every few seconds: classification and backfill progress, the job
// queue per task, failed jobs with their last error, the crawls running. Flower's view, from the admin API.
import { adminApi, query } from '../lib/api.js';
import {
  ErrorBox,
  Field,
  Link,
  Pager,
  Progress,
  Table,
  count,
  html,
  useCallback,
  useEffect,
  usePaged,
  usePoll,
  useRef,
  useState,
  when,
} from '../lib/ui.js';

const EVERY_MS = 5000;

/** What `/classification`, `/jobs` and `/crawls` answer, read again every EVERY_MS while `live`. */
function useWork(live) {
  const [state, setState] = useState({ data: null, error: null, busy: true, at: null });
  const load = useCallback(async () => {
    setState((s) => ({ ...s, busy: true }));
    try {
      const [classification, jobs, crawls] = await Promise.all([
        adminApi('/classification'),
        adminApi('/jobs'),
        adminApi('/crawls'),
      ]);
      setState({
        data: { classification, jobs: jobs.results, crawls: crawls.results },
        error: null,
        busy: false,
        at: new Date(),
      });
    } catch (error) {
      setState((s) => ({ ...s, error, busy: false }));
    }
  }, []);
  usePoll(load, EVERY_MS, live);
  return { ...state, refresh: load };
}

export default function Work() {
  const [live, setLive] = useState(true);
  const [task, setTask] = useState('');
  const work = useWork(live);
  const failed = usePaged(
    (cursor, signal) => adminApi(`/jobs/failed${query(cursor ? { cursor } : { task, limit: 10 })}`, { signal }),
    [task],
  );
  const refresh = () => {
    work.refresh();
    failed.reload();
  };
  const d = work.data;
  // The failed jobs are read again when their number changes (not on every poll: a page being read stays).
  const failedCount = d?.jobs.reduce((n, q) => n + q.failed, 0);
  const seen = useRef(undefined);
  useEffect(() => {
    if (failedCount === undefined) return;
    if (seen.current !== undefined && seen.current !== failedCount) failed.reload();
    seen.current = failedCount;
  }, [failedCount]);
  return html`<h1>Work</h1>
    <div class="actions">
      <button type="button" onClick=${refresh} disabled=${work.busy}>Refresh</button>
      <${Field}
        type="checkbox"
        label="Update every 5 seconds"
        checked=${live}
        onChange=${(e) => setLive(e.target.checked)}
      />
      <span class="muted" aria-live="polite">
        ${work.at ? `Updated ${work.at.toLocaleTimeString()}` : 'Loading…'}
      </span>
    </div>
    <${ErrorBox} error=${work.error} />
    <div aria-busy=${work.busy}>
      ${d && html`<${Classification} c=${d.classification} />`}
      <h2>Job queue</h2>
      <${Table}
        caption="Jobs per task"
        head=${['Task', 'Waiting', 'Scheduled', 'Running', 'Retrying', 'Failed', 'Oldest waiting since']}
        empty=${d ? 'No job.' : 'Loading…'}
        rows=${(d?.jobs ?? []).map((q) => ({
          key: q.task,
          cells: [
            html`<span class="mono">${q.task}</span>`,
            count(q.waiting),
            count(q.scheduled),
            count(q.running),
            count(q.retrying),
            count(q.failed),
            q.oldest_waiting_since ? when(q.oldest_waiting_since) : '',
          ],
        }))}
      />
      <h2>Crawls running</h2>
      <${Table}
        caption="Sources being crawled or indexed"
        head=${['Project', 'Source', 'Status', 'Pages', 'Failed', 'Skipped', 'Started']}
        empty=${d ? 'No crawl running.' : 'Loading…'}
        rows=${(d?.crawls ?? []).map((c) => ({
          key: c.source,
          cells: [
            html`<${Link} to=${`/admin/projects/${c.project}`}>${c.project_name}</${Link}>`,
            html`${c.name}
              <span class="muted">(${c.type})</span>${c.url && html`<br /><span class="mono">${c.url}</span>`}`,
            c.status,
            html`<${Progress}
              value=${c.pages.done}
              max=${c.pages.done + c.pages.pending}
              label=${`Pages of ${c.name}`}
            />`,
            count(c.pages.failed),
            count(c.pages.skipped),
            c.started_at ? when(c.started_at) : '',
          ],
        }))}
      />
    </div>
    <h2>Failed jobs</h2>
    <p class="muted">Jobs whose attempts are spent: the queue keeps them and never runs them again.</p>
    <div class="filters">
      <${Field} as="select" label="Task of the failed jobs" value=${task} onChange=${(e) => setTask(e.target.value)}>
        <option value="">All tasks</option>
        ${(d?.jobs ?? []).map((q) => html`<option value=${q.task}>${q.task} (${count(q.failed)})</option>`)}
      </${Field}>
    </div>
    <${ErrorBox} error=${failed.error} />
    <div aria-busy=${failed.busy}>
      <${Table}
        caption="Failed jobs, newest first"
        head=${['Job', 'Task', 'Project', 'Attempts', 'Last failed', 'Last error']}
        empty="No failed job."
        rows=${(failed.data?.results ?? []).map((j) => ({
          key: j.id,
          cells: [
            j.id,
            html`<span class="mono">${j.task}</span>`,
            j.project ? html`<${Link} to=${`/admin/projects/${j.project}`}>${j.project}</${Link}>` : '',
            `${j.attempts} of ${j.max_attempts}`,
            when(j.updated_at),
            html`<${LastError} text=${j.last_error} />`,
          ],
        }))}
      />
      <${Pager} ...${failed.pager} />
    </div>`;
}

/** A job's last error: its first line, the rest (the stack) on request. */
function LastError({ text }) {
  if (!text) return '';
  const [first, ...rest] = text.split('\n');
  if (rest.length === 0) return html`<span class="error-text">${first}</span>`;
  return html`<details>
    <summary class="error-text">${first}</summary>
    <pre class="mono">${rest.join('\n')}</pre>
  </details>`;
}

function Classification({ c }) {
  const labelled = c.total_threads - c.unlabelled;
  const due = c.unlabelled - c.parked;
  const minutes = c.rate_per_second > 0 ? Math.ceil(due / c.rate_per_second / 60) : null;
  return html`<h2>Classification</h2>
    <dl class="facts">
      <dt>Categorisation</dt>
      <dd>${c.categorisation}</dd>
      <dt>Threads</dt>
      <dd>${count(c.total_threads)}</dd>
      <dt>Unlabelled</dt>
      <dd>${count(c.unlabelled)} (${count(c.parked)} parked: their project has no category)</dd>
      <dt>Held by backfill batches</dt>
      <dd>${count(c.queued_backfill_threads)}</dd>
      <dt>Rate</dt>
      <dd>
        ${c.rate_per_second.toLocaleString(undefined, { maximumFractionDigits: 1 })} threads a second
        ${due > 0 && minutes !== null && html`<span class="muted"> (about ${count(minutes)} min left)</span>`}
      </dd>
    </dl>
    ${c.total_threads > 0 && html`<${Progress} value=${labelled} max=${c.total_threads} label="Threads labelled" />`}
    <${Table}
      caption="Backlog per project, largest first"
      head=${['Project', 'Unlabelled', 'Parked', 'Threads a second']}
      empty="Every thread is labelled."
      rows=${c.projects.map((p) => ({
        key: p.project,
        cells: [
          html`<${Link} to=${`/admin/projects/${p.project}`}>${p.project_name}</${Link}>`,
          count(p.unlabelled),
          count(p.parked),
          p.rate_per_second.toLocaleString(undefined, { maximumFractionDigits: 1 }),
        ],
      }))}
    />`;
}
