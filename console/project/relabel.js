// Relabel: preview what reclassifying the history would change (a sample and an estimate), run it, watch its
// progress, cancel it.
import { projectApi } from '../lib/api.js';
import { ErrorBox, Field, Link, Progress, Table, count, html, useAction, usePoll, useState, when } from '../lib/ui.js';

const duration = (seconds) =>
  seconds < 90
    ? `${seconds} s`
    : seconds < 5400
      ? `${Math.round(seconds / 60)} min`
      : `${(seconds / 3600).toFixed(1)} h`;

export default function Relabel() {
  const [sample, setSample] = useState('100');
  const [preview, setPreview] = useState(null);
  const [runState, setRunState] = useState({ run: null, error: null, loaded: false });
  const [act, action] = useAction();

  const refresh = async () => {
    try {
      setRunState({ run: await projectApi('/categories/relabel'), error: null, loaded: true });
    } catch (error) {
      setRunState({ run: null, error: error.status === 404 ? null : error, loaded: true });
    }
  };
  const running = runState.run?.status === 'running';
  // While a run is going, its progress is asked for every 2 s.
  usePoll(refresh, running ? 2000 : 60_000);

  const previewNow = (e) => {
    e.preventDefault();
    act(async () => {
      setPreview(null);
      setPreview(await projectApi('/categories/relabel/preview', { method: 'POST', body: { sample: Number(sample) } }));
    });
  };
  const start = () =>
    act(async () =>
      setRunState({ run: await projectApi('/categories/relabel', { method: 'POST' }), error: null, loaded: true }),
    );
  const cancel = () =>
    act(async () =>
      setRunState({ run: await projectApi('/categories/relabel', { method: 'DELETE' }), error: null, loaded: true }),
    );

  const run = runState.run;
  return html`<h1>Relabel</h1>
    <p>
      Reclassifies every thread the classifier labelled against the current categories. Labels set by a person are never
      changed.
    </p>
    <form class="inline" onSubmit=${previewNow} aria-label="Preview">
      <${Field}
        label="Sample size"
        type="number"
        min="1"
        max="500"
        required
        value=${sample}
        onInput=${(e) => setSample(e.target.value)}
      />
      <button type="submit" disabled=${action.busy}>Preview</button>
    </form>
    <${ErrorBox} error=${action.error} />
    ${action.busy && !preview && html`<p aria-busy="true">Working…</p>`}
    ${preview && html`<${PreviewResult} preview=${preview} />`}
    <section aria-labelledby="run" aria-busy=${!runState.loaded}>
      <h2 id="run">Run</h2>
      <${ErrorBox} error=${runState.error} />
      ${
        run
          ? html`<p data-testid="relabel-status">${`Latest run: ${run.status}, started ${when(run.started_at)}${run.finished_at ? `, finished ${when(run.finished_at)}` : ''}.`}</p>
              <${Progress} label="Threads dealt with" value=${run.done} max=${run.total} />`
          : runState.loaded && html`<p>No relabel has run yet.</p>`
      }
      <div class="actions">
        <button type="button" class="primary" disabled=${action.busy || running} onClick=${start}>Run relabel</button>
        ${running && html`<button type="button" class="danger-outline" disabled=${action.busy} onClick=${cancel}>Cancel relabel</button>`}
      </div>
    </section>`;
}

function PreviewResult({ preview }) {
  const { estimate } = preview;
  return html`<section aria-labelledby="preview">
    <h2 id="preview">Preview</h2>
    <p data-testid="relabel-preview">
      Of ${count(preview.sampled)} sampled threads, <strong>${count(preview.would_change)}</strong> would change
      label.${' '}
      ${`A full run would reclassify ${count(estimate.threads)} threads in ${count(estimate.provider_calls)} classifier calls, about ${duration(estimate.seconds)}.`}
    </p>
    <${Table}
      caption="Sampled threads whose label would change"
      head=${['First question', 'From', 'To']}
      empty="None of the sample would change."
      rows=${preview.changes.map((c) => ({
        key: c.thread_id,
        cells: [
          html`<${Link} to=${`/p/threads/${c.thread_id}`}>${c.first_question}<//>`,
          c.from?.name ?? 'Unlabelled',
          c.to.name,
        ],
      }))}
    />
  </section>`;
}
