// One source: its progress, refresh, delete; a files source takes documents; every document with its status
// and, when failed or skipped, the reason.
import { projectApi, query } from '../lib/api.js';
import {
  Confirm,
  ErrorBox,
  Field,
  Link,
  Pager,
  Progress,
  Table,
  count,
  html,
  useAction,
  useLoad,
  usePaged,
  usePoll,
  useEffect,
  useRef,
  useState,
  when,
} from '../lib/ui.js';
import { isBusy, settled } from './sources.js';

export default function Source({ id }) {
  const path = `/sources/${encodeURIComponent(id)}`;
  const source = useLoad((signal) => projectApi(path, { signal }), [id]);
  const [status, setStatus] = useState('');
  const docs = usePaged(
    (cursor, signal) =>
      projectApi(`${path}/documents${query(cursor ? { cursor } : { status, limit: 20 })}`, { signal }),
    [id, status],
  );
  const s = source.data;
  // While it crawls or indexes, the source and its documents are asked for again every 3 s.
  usePoll(() => (source.reload(), docs.reload()), 3000, Boolean(s && isBusy(s)));
  // Once it settles, the documents are read again: the last poll may have listed them a moment before.
  const wasBusy = useRef(false);
  useEffect(() => {
    if (!s) return;
    if (isBusy(s)) wasBusy.current = true;
    else if (wasBusy.current) {
      wasBusy.current = false;
      docs.reload();
    }
  }, [s?.status]);
  const [run, action] = useAction();
  const refresh = () =>
    run(async () => {
      source.setData(await projectApi(`${path}/refresh`, { method: 'POST' }));
      docs.reload();
    });
  const remove = () =>
    run(async () => {
      await projectApi(path, { method: 'DELETE' });
      location.hash = '#/p/sources';
    });

  return html`<h1>Source</h1>
    <p><${Link} to="/p/sources">Back to knowledge sources<//></p>
    <${ErrorBox} error=${source.error} />
    ${
      s &&
      html`<h2>${s.name}</h2>
        <dl class="facts">
          <dt>Type</dt>
          <dd>${s.type}</dd>
          ${
            s.url &&
            html`<dt>Start URL</dt>
              <dd class="mono">${s.url}</dd>`
          }
          <dt>Status</dt>
          <dd data-testid="source-status">${s.status}</dd>
          ${
            s.error &&
            html`<dt>Error</dt>
              <dd class="error-text">${s.error}</dd>`
          }
          <dt>Documents</dt>
          <dd>
            ${
              `${count(s.documents.indexed)} indexed, ${count(s.documents.failed)} failed, ` +
              `${count(s.documents.skipped)} skipped of ${count(s.documents.total)}; ${count(s.chunks)} sections`
            }
          </dd>
          ${
            s.type === 'website' &&
            html`<dt>Refresh</dt>
              <dd>${s.refresh}${s.next_refresh_at ? `, next ${when(s.next_refresh_at)}` : ''}</dd>`
          }
          <dt>Last refreshed</dt>
          <dd>${when(s.last_refreshed_at) || 'not yet'}</dd>
        </dl>
        <${Progress}
          label=${s.type === 'website' ? 'Pages done' : 'Documents done'}
          value=${settled(s.documents)}
          max=${s.documents.total}
        />
        <div class="actions">
          <button type="button" disabled=${action.busy} onClick=${refresh}>Refresh</button>
          <${Confirm} what=${`source ${s.name}`} onConfirm=${remove} />
        </div>
        <${ErrorBox} error=${action.error} />
        ${s.type === 'files' && html`<${NewDocument} path=${path} onAdded=${() => (source.reload(), docs.reload())} />`}`
    }
    <section aria-labelledby="documents" aria-busy=${docs.busy}>
      <h2 id="documents">Documents</h2>
      <div class="filters">
        <${Field} as="select" label="Status" value=${status} onChange=${(e) => setStatus(e.target.value)}>
          <option value="">Any</option>
          <option value="queued">Queued</option>
          <option value="indexed">Indexed</option>
          <option value="failed">Failed</option>
          <option value="skipped">Skipped</option>
        <//>
      </div>
      <${ErrorBox} error=${docs.error} />
      <${Table}
        caption="Documents and why any failed or was skipped"
        head=${['Title', 'Path', 'Status', 'Reason', 'Sections', 'Indexed']}
        empty=${docs.busy ? 'Loading…' : 'No document.'}
        rows=${(docs.data?.results ?? []).map((d) => ({
          key: d.id,
          cells: [
            d.url
              ? html`<a href=${d.url} rel="noopener noreferrer" target="_blank">${d.title ?? d.path}</a>`
              : (d.title ?? d.path),
            html`<span class="mono">${d.path}</span>`,
            d.status,
            d.reason ?? '',
            count(d.chunks),
            when(d.indexed_at),
          ],
        }))}
      />
      <${Pager} ...${docs.pager} />
    </section>`;
}

const TYPES = {
  md: 'text/markdown',
  markdown: 'text/markdown',
  html: 'text/html',
  htm: 'text/html',
  txt: 'text/plain',
};

function NewDocument({ path, onAdded }) {
  const empty = { path: '', title: '', url: '', content_type: 'text/markdown', content: '' };
  const [form, setForm] = useState(empty);
  const [run, action] = useAction();
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.value });
  const pick = async (e) => {
    const file = e.target.files?.[0];
    if (!file) return;
    const ext = file.name.split('.').pop().toLowerCase();
    setForm({
      ...form,
      path: form.path || file.name,
      content_type: TYPES[ext] ?? form.content_type,
      content: await file.text(),
    });
  };
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { path: form.path, content: form.content, content_type: form.content_type };
      if (form.title.trim()) body.title = form.title.trim();
      if (form.url.trim()) body.url = form.url.trim();
      await projectApi(`${path}/documents`, { method: 'PUT', body });
      setForm(empty);
      onAdded();
    });
  };
  return html`<form onSubmit=${submit} aria-labelledby="add-document" aria-busy=${action.busy}>
    <h2 id="add-document">Add a document</h2>
    <p class="muted">A document put at a path that is taken replaces the one there.</p>
    <${Field}
      label="File"
      type="file"
      accept=".md,.markdown,.html,.htm,.txt,text/*"
      onChange=${pick}
      hint="Optional: fills the fields below"
    />
    <div class="filters">
      <${Field} label="Path" required value=${form.path} onInput=${set('path')} />
      <${Field} label="Title" value=${form.title} onInput=${set('title')} />
      <${Field} label="Link for citations" type="url" value=${form.url} onInput=${set('url')} />
      <${Field} as="select" label="Format" value=${form.content_type} onChange=${set('content_type')}>
        <option value="text/markdown">Markdown</option>
        <option value="text/html">HTML</option>
        <option value="text/plain">Plain text</option>
      <//>
    </div>
    <${Field} as="textarea" label="Content" required rows="8" value=${form.content} onInput=${set('content')} />
    <${ErrorBox} error=${action.error} />
    <button type="submit" class="primary" disabled=${action.busy}>Add document</button>
  </form>`;
}
