// Knowledge sources: the project's websites and files with their progress; add a website or a files source.
import { projectApi } from '../lib/api.js';
import {
  ErrorBox,
  Field,
  Link,
  Progress,
  Table,
  count,
  html,
  useAction,
  useLoad,
  usePoll,
  useState,
  when,
} from '../lib/ui.js';

export const isBusy = (source) => source.status === 'queued' || source.status === 'running';
export const settled = (d) => d.indexed + d.failed + d.skipped;
const lines = (text) =>
  text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);

export default function Sources() {
  const list = useLoad((signal) => projectApi('/sources', { signal }), []);
  const sources = list.data?.results ?? [];
  // Crawls and indexing move on their own: their progress is asked for every 3 s while any is going.
  usePoll(() => list.reload(), 3000, sources.some(isBusy));
  return html`<h1>Knowledge sources</h1>
    <p>
      The answers are built from these. A website is crawled within its start URL's directory; a files source holds
      documents you put.
    </p>
    <${ErrorBox} error=${list.error} />
    <div aria-busy=${list.busy && !list.data}>
      <${Table}
        caption="Sources"
        head=${['Name', 'Type', 'Status', 'Progress', 'Failed', 'Skipped', 'Last refreshed']}
        empty="No source yet: answers say the documentation does not cover the question."
        rows=${sources.map((s) => ({
          key: s.id,
          cells: [
            html`<${Link} to=${`/p/sources/${s.id}`}>${s.name}<//>`,
            s.type,
            html`<span data-testid="source-status">${s.status}</span
              >${s.error ? html`<br /><small class="error-text">${s.error}</small>` : ''}`,
            html`<${Progress} label="Documents done" value=${settled(s.documents)} max=${s.documents.total} />`,
            count(s.documents.failed),
            count(s.documents.skipped),
            when(s.last_refreshed_at),
          ],
        }))}
      />
    </div>
    <div class="two">
      <${NewWebsite} onAdded=${list.reload} />
      <${NewFiles} onAdded=${list.reload} />
    </div>`;
}

function NewWebsite({ onAdded }) {
  const empty = { name: '', url: '', include: '', exclude: '', max_pages: '', refresh: 'weekly' };
  const [form, setForm] = useState(empty);
  const [run, action] = useAction();
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.value });
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { type: 'website', name: form.name, url: form.url.trim(), refresh: form.refresh };
      if (form.include.trim()) body.include = lines(form.include);
      if (form.exclude.trim()) body.exclude = lines(form.exclude);
      if (form.max_pages) body.max_pages = Number(form.max_pages);
      await projectApi('/sources', { method: 'POST', body });
      setForm(empty);
      onAdded();
    });
  };
  return html`<form onSubmit=${submit} aria-labelledby="add-website" aria-busy=${action.busy}>
    <h2 id="add-website">Add a website</h2>
    <${Field} label="Website name" required value=${form.name} onInput=${set('name')} />
    <${Field}
      label="Start URL"
      type="url"
      required
      placeholder="https://docs.example.com/"
      value=${form.url}
      onInput=${set('url')}
    />
    <${Field}
      label="Only pages under"
      value=${form.include}
      onInput=${set('include')}
      hint="Path prefixes, comma separated (optional)"
    />
    <${Field}
      label="No page under"
      value=${form.exclude}
      onInput=${set('exclude')}
      hint="Path prefixes, comma separated (optional)"
    />
    <${Field}
      label="Most pages"
      type="number"
      min="1"
      max="100000"
      placeholder="5000"
      value=${form.max_pages}
      onInput=${set('max_pages')}
    />
    <${Field} as="select" label="Refresh" value=${form.refresh} onChange=${set('refresh')}>
      <option value="daily">Daily</option>
      <option value="weekly">Weekly</option>
      <option value="never">Never</option>
    <//>
    <${ErrorBox} error=${action.error} />
    <button type="submit" class="primary" disabled=${action.busy}>Add website</button>
  </form>`;
}

function NewFiles({ onAdded }) {
  const [name, setName] = useState('');
  const [run, action] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const source = await projectApi('/sources', { method: 'POST', body: { type: 'files', name } });
      setName('');
      onAdded();
      location.hash = `#/p/sources/${source.id}`;
    });
  };
  return html`<form onSubmit=${submit} aria-labelledby="add-files" aria-busy=${action.busy}>
    <h2 id="add-files">Add a files source</h2>
    <p class="muted">Then put documents into it (markdown, HTML or text) on its page.</p>
    <${Field} label="Files source name" required value=${name} onInput=${(e) => setName(e.target.value)} />
    <${ErrorBox} error=${action.error} />
    <button type="submit" class="primary" disabled=${action.busy}>Add files source</button>
  </form>`;
}
