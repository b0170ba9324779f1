// Threads: the list API's filters (category, who labelled, created between) and cursor paging.
import { projectApi, query } from '../lib/api.js';
import { ErrorBox, Field, Link, Pager, Table, count, html, useLoad, usePaged, useState, when } from '../lib/ui.js';

/** A date input's day as the start of that day in the browser's time zone (ISO); `plusDays` moves it. */
export const dayStart = (day, plusDays = 0) => {
  if (!day) return undefined;
  const date = new Date(`${day}T00:00:00`);
  date.setDate(date.getDate() + plusDays);
  return date.toISOString();
};

export const categoryName = (thread) => thread.category?.name ?? 'Unlabelled';

/** The list's filters, empty: a category (or unlabelled), who labelled, and the days created between. */
export const NO_FILTERS = { category_id: '', category_source: '', from: '', until: '' };

/** The filters as the threads list and export take them (the days as instants in the browser's time zone). */
export const filterParams = (f) => ({
  category_id: f.category_id,
  category_source: f.category_source,
  created_after: dayStart(f.from),
  created_before: dayStart(f.until, 1),
});

/** The filters' fields, shared by the threads list and the export: `set(name)` handles a field's change. */
export function FilterFields({ form, set, categories }) {
  return html`<${Field} as="select" label="Category" value=${form.category_id} onChange=${set('category_id')}>
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
    <${Field} label="Created until" type="date" value=${form.until} onChange=${set('until')} />`;
}

export default function Threads() {
  const [form, setForm] = useState(NO_FILTERS);
  const [filters, setFilters] = useState(form);
  const categories = useLoad((signal) => projectApi('/categories/', { signal }), []);
  const list = usePaged(
    (cursor, signal) =>
      projectApi(`/threads/${query(cursor ? { cursor, limit: 20 } : { limit: 20, ...filterParams(filters) })}`, {
        signal,
      }),
    [filters],
  );
  const set = (name) => (e) => setForm({ ...form, [name]: e.target.value });

  return html`<h1>Threads</h1>
    <form
      class="filters"
      aria-label="Filter threads"
      onSubmit=${(e) => {
        e.preventDefault();
        setFilters({ ...form });
      }}
    >
      <${FilterFields} form=${form} set=${set} categories=${categories} />
      <button type="submit" class="primary">Apply filters</button>
    </form>
    <${ErrorBox} error=${categories.error} />
    <${ErrorBox} error=${list.error} />
    <div aria-busy=${list.busy}>
      <${Table}
        caption="Threads, newest first"
        head=${['First question', 'Category', 'Labelled by', 'Questions', 'Created']}
        empty=${list.busy ? 'Loading…' : 'No thread matches.'}
        rows=${(list.data?.results ?? []).map((t) => ({
          key: t.id,
          cells: [
            html`<${Link} to=${`/p/threads/${t.id}`}>${t.first_question}<//>`,
            categoryName(t),
            t.category_source ?? '',
            count(t.total_questions),
            when(t.created_at),
          ],
        }))}
      />
      <${Pager} ...${list.pager} />
    </div>`;
}
