// What the back-office pages share: the search box, the team picker, the filters a link carries in the hash
// (#/admin/projects?team_id=...), and the inline rename form.
import { adminApi, query } from '../lib/api.js';
import { ErrorBox, Field, html, useAction, useEffect, useLoad, usePaged, useRef, useState } from '../lib/ui.js';

/** A ref for a form whose first field gets the focus when it appears (an edit opened from a row's button). */
export function useFocusFirst() {
  const form = useRef(null);
  useEffect(() => form.current?.querySelector('input, select, textarea')?.focus(), []);
  return form;
}

/** The parameters after `?` in the hash: `#/admin/users?team_id=…`. */
export function hashParams() {
  const at = location.hash.indexOf('?');
  return new URLSearchParams(at < 0 ? '' : location.hash.slice(at + 1));
}

/** Keeps a page's filters in its hash, so a reload or a shared link shows the same list (no secret in it). */
export function setHashParams(params) {
  const path = location.hash.replace(/^#/, '').split('?')[0];
  const text = query(params);
  history.replaceState(null, '', `#${path}${text}`);
}

/** A search box: the list is searched when it is submitted ("Search"), cleared with "Clear". */
export function SearchBox({ label, value, onSearch }) {
  const [text, setText] = useState(value ?? '');
  const submit = (e) => {
    e.preventDefault();
    onSearch(text.trim());
  };
  return html`<form class="inline" role="search" onSubmit=${submit}>
    <${Field} label=${label} type="search" value=${text} maxlength="200" onInput=${(e) => setText(e.target.value)} />
    <button type="submit">Search</button>
    ${
      value &&
      html`<button
        type="button"
        onClick=${() => {
          setText('');
          onSearch('');
        }}
      >
        Clear
      </button>`
    }
  </form>`;
}

/**
 * A list of `/admin/v1<path>` searched by `q` and kept to one team (`team_id`), the filters kept in the hash:
 * the teams, the paged list, the filters and `filter(change)`, and `Filters`, the search box and team picker.
 */
export function useTeamList(path, searchLabel) {
  const start = hashParams();
  const [filters, setFilters] = useState({ q: start.get('q') ?? '', team_id: start.get('team_id') ?? '' });
  const teams = useTeams();
  const list = usePaged(
    (cursor, signal) => adminApi(`${path}${query(cursor ? { cursor } : filters)}`, { signal }),
    [filters.q, filters.team_id],
  );
  const filter = (change) => {
    const next = { ...filters, ...change };
    setHashParams(next);
    setFilters(next);
  };
  const filtersBar = html`<div class="filters">
    <${SearchBox} label=${searchLabel} value=${filters.q} onSearch=${(q) => filter({ q })} />
    <${TeamSelect}
      label="Team"
      all="All teams"
      teams=${teams}
      value=${filters.team_id}
      onChange=${(id) => filter({ team_id: id })}
    />
  </div>`;
  return { teams, list, filters, filtersBar };
}

/** The first 100 teams (oldest first), for the team pickers and to name a row's team. */
function useTeams() {
  const teams = useLoad((signal) => adminApi('/teams?limit=100', { signal }), []);
  const list = teams.data?.results ?? [];
  const names = new Map(list.map((t) => [t.id, t.name]));
  return { list, names, error: teams.error, busy: teams.busy, reload: teams.reload };
}

/** A team picker; `all` adds a first choice (e.g. "All teams") whose value is empty. */
export function TeamSelect({ label = 'Team', teams, value, onChange, all, required }) {
  const known = teams.list.some((t) => t.id === value);
  return html`<${Field}
    as="select"
    label=${label}
    value=${value ?? ''}
    required=${required}
    onChange=${(e) => onChange(e.target.value)}
  >
    ${all ? html`<option value="">${all}</option>` : html`<option value="" disabled>Choose a team</option>`}
    ${value && !known && html`<option value=${value}>team ${value}</option>`}
    ${teams.list.map((t) => html`<option value=${t.id}>${t.name}</option>`)}
  </${Field}>`;
}

/**
 * A rename form in a table row: fields named by `fields` ({name, label, value}), `save(values)` sends it.
 * "Save" and "Cancel"; the API's refusal is shown in its words.
 */
export function RenameForm({ what, fields, save, onDone }) {
  const [values, setValues] = useState(Object.fromEntries(fields.map((f) => [f.name, f.value])));
  const [run, action] = useAction();
  const form = useFocusFirst();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      await save(values);
      onDone(true);
    });
  };
  return html`<form
    ref=${form}
    class="inline"
    onSubmit=${submit}
    aria-label=${`Rename ${what}`}
    aria-busy=${action.busy}
  >
    ${fields.map(
      (f) =>
        html`<${Field}
          label=${f.label}
          type=${f.type ?? 'text'}
          value=${values[f.name]}
          required=${f.required ?? true}
          maxlength=${f.maxlength ?? 200}
          onInput=${(e) => setValues((v) => ({ ...v, [f.name]: e.target.value }))}
        />`,
    )}
    <button type="submit" class="primary" disabled=${action.busy}>Save</button>
    <button type="button" onClick=${() => onDone(false)}>Cancel</button>
    <${ErrorBox} error=${action.error} />
  </form>`;
}
