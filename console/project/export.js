// Export: every thread the filters match as CSV or NDJSON. The download is fetched with the key header and
// saved from a Blob, so the key never appears in a link.
import { projectApi, projectBlob, query, saveBlob } from '../lib/api.js';
import { ErrorBox, Field, html, useAction, useLoad, useState } from '../lib/ui.js';
import { dayStart } from './threads.js';

export default function Export() {
  const [form, setForm] = useState({ category_id: '', category_source: '', from: '', until: '' });
  const categories = useLoad((signal) => projectApi('/categories/', { signal }), []);
  const [run, action] = useAction();
  const [saved, setSaved] = useState(null);
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.value });
  const download = (format) =>
    run(async () => {
      setSaved(null);
      const params = {
        format,
        category_id: form.category_id,
        category_source: form.category_source,
        created_after: dayStart(form.from),
        created_before: dayStart(form.until, 1),
      };
      const blob = await projectBlob(`/threads/export${query(params)}`);
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
      <${Field} as="select" label="Category" value=${form.category_id} onChange=${set('category_id')}>
        <option value="">Any</option>
        <option value="none">Unlabelled</option>
        ${(categories.data?.results ?? []).map((c) => html`<option value=${c.id}>${c.name}</option>`)}
      <//>
      <${Field} as="select" label="Labelled by" value=${form.category_source} onChange=${set('category_source')}>
        <option value="">Anyone</option>
        <option value="classifier">Classifier</option>
        <option value="user">User</option>
      <//>
      <${Field} label="Created from" type="date" value=${form.from} onChange=${set('from')} />
      <${Field} label="Created until" type="date" value=${form.until} onChange=${set('until')} />
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
