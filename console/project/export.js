// Export: every thread the filters match as CSV or NDJSON. The download is fetched with the key header and
// saved from a Blob, so the key never appears in a link.
import { projectApi, projectBlob, query, saveBlob } from '../lib/api.js';
import { ErrorBox, html, useAction, useLoad, useState } from '../lib/ui.js';
import { FilterFields, NO_FILTERS, filterParams } from './threads.js';

export default function Export() {
  const [form, setForm] = useState(NO_FILTERS);
  const categories = useLoad((signal) => projectApi('/categories/', { signal }), []);
  const [run, action] = useAction();
  const [saved, setSaved] = useState(null);
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.value });
  const download = (format) =>
    run(async () => {
      setSaved(null);
      const blob = await projectBlob(`/threads/export${query({ format, ...filterParams(form) })}`);
      const name = `threads.${format}`;
      saveBlob(blob, name);
      setSaved(`${name}: ${blob.size.toLocaleString()} bytes`);
    });
  return html`<h1>Export</h1>
    <p>
      Every thread matching the filters: CSV (one row per thread) or NDJSON (a thread per line, with its questions,
      answers and feedback).
    </p>
    <form class="filters" aria-label="Export filters" onSubmit=${(e) => e.preventDefault()}>
      <${FilterFields} form=${form} set=${set} categories=${categories} />
    </form>
    <div class="actions" aria-busy=${action.busy}>
      <button type="button" class="primary" disabled=${action.busy} onClick=${() => download('csv')}>
        Download CSV
      </button>
      <button type="button" disabled=${action.busy} onClick=${() => download('ndjson')}>Download NDJSON</button>
    </div>
    <${ErrorBox} error=${categories.error ?? action.error} />
    ${saved && html`<p class="notice" role="status">Saved ${saved}.</p>`}`;
}
