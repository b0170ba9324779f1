// Users across teams: search by email or name, keep one team's, create one in a team, change a user's email,
// name or usage-report interval, delete (with a confirmation).
import { adminApi } from '../lib/api.js';
import { Confirm, ErrorBox, Field, Pager, Table, html, useAction, useState, when } from '../lib/ui.js';
import { TeamSelect, useFocusFirst, useTeamList } from './shared.js';

const INTERVALS = ['WEEKLY', 'BIWEEKLY', 'MONTHLY'];
const fullName = (u) => [u.first_name, u.last_name].filter(Boolean).join(' ');

export default function Users() {
  const { teams, list, filters, filtersBar } = useTeamList('/users', 'Search users');
  const [editing, setEditing] = useState(null);
  const [run, action] = useAction();
  const remove = (user) =>
    run(async () => {
      await adminApi(`/users/${user.id}`, { method: 'DELETE' });
      list.reload();
    });

  return html`<h1>Users</h1>
    ${filtersBar}
    <${ErrorBox} error=${list.error ?? teams.error ?? action.error} />
    <div aria-busy=${list.busy || action.busy}>
      <${Table}
        caption="Users"
        head=${['Email', 'Name', 'Team', 'Usage report', 'Created', 'Actions']}
        empty="No user matches."
        rows=${(list.data?.results ?? []).map((user) => ({
          key: user.id,
          cells:
            editing === user.id
              ? [
                  html`<${EditUser} user=${user} onDone=${(saved) => (setEditing(null), saved && list.reload())} />`,
                  '',
                  '',
                  '',
                  '',
                  '',
                ]
              : [
                  user.email,
                  fullName(user),
                  teams.names.get(user.team) ?? user.team,
                  user.digest_interval ?? 'never',
                  when(user.created_at),
                  html`<div class="actions">
                    <button type="button" aria-label=${`Edit ${user.email}`} onClick=${() => setEditing(user.id)}>
                      Edit
                    </button>
                    <${Confirm} what=${user.email} onConfirm=${() => remove(user)} />
                  </div>`,
                ],
        }))}
      />
      <${Pager} ...${list.pager} />
    </div>
    <h2>New user</h2>
    <${NewUser} teams=${teams} team=${filters.team_id} onCreated=${list.reload} />`;
}

function IntervalSelect({ value, onChange }) {
  const change = (e) => onChange(e.target.value || null);
  return html`<${Field} as="select" label="Usage report" value=${value ?? ''} onChange=${change}>
    <option value="">never</option>
    ${INTERVALS.map((i) => html`<option value=${i}>${i.toLowerCase()}</option>`)}
  </${Field}>`;
}

function NewUser({ teams, team, onCreated }) {
  const empty = { team: team ?? '', email: '', first_name: '', last_name: '', digest_interval: null };
  const [user, setUser] = useState(empty);
  const [run, action] = useAction();
  const set = (change) => setUser((u) => ({ ...u, ...change }));
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const { team: teamId, ...fields } = user;
      const body = { email: fields.email, digest_interval: fields.digest_interval };
      if (fields.first_name.trim()) body.first_name = fields.first_name.trim();
      if (fields.last_name.trim()) body.last_name = fields.last_name.trim();
      await adminApi(`/teams/${teamId}/users`, { method: 'POST', body });
      setUser({ ...empty, team: teamId });
      onCreated();
    });
  };
  return html`<form class="inline" onSubmit=${submit} aria-label="New user" aria-busy=${action.busy}>
    <${TeamSelect}
      label="Team of the new user"
      teams=${teams}
      value=${user.team}
      required
      onChange=${(id) => set({ team: id })}
    />
    <${Field}
      label="Email"
      type="email"
      required
      maxlength="320"
      value=${user.email}
      onInput=${(e) => set({ email: e.target.value })}
    />
    <${Field}
      label="First name"
      maxlength="200"
      value=${user.first_name}
      onInput=${(e) => set({ first_name: e.target.value })}
    />
    <${Field}
      label="Last name"
      maxlength="200"
      value=${user.last_name}
      onInput=${(e) => set({ last_name: e.target.value })}
    />
    <${IntervalSelect} value=${user.digest_interval} onChange=${(v) => set({ digest_interval: v })} />
    <button type="submit" class="primary" disabled=${action.busy}>Create user</button>
    <${ErrorBox} error=${action.error} />
  </form>`;
}

function EditUser({ user, onDone }) {
  const [values, setValues] = useState({
    email: user.email,
    first_name: user.first_name ?? '',
    last_name: user.last_name ?? '',
    digest_interval: user.digest_interval,
  });
  const [run, action] = useAction();
  const form = useFocusFirst();
  const set = (change) => setValues((v) => ({ ...v, ...change }));
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = {
        email: values.email,
        first_name: values.first_name.trim() || null,
        last_name: values.last_name.trim() || null,
        digest_interval: values.digest_interval,
      };
      await adminApi(`/users/${user.id}`, { method: 'PATCH', body });
      onDone(true);
    });
  };
  return html`<form
    ref=${form}
    class="inline"
    onSubmit=${submit}
    aria-label=${`Edit ${user.email}`}
    aria-busy=${action.busy}
  >
    <${Field}
      label="New email"
      type="email"
      required
      maxlength="320"
      value=${values.email}
      onInput=${(e) => set({ email: e.target.value })}
    />
    <${Field}
      label="First name"
      maxlength="200"
      value=${values.first_name}
      onInput=${(e) => set({ first_name: e.target.value })}
    />
    <${Field}
      label="Last name"
      maxlength="200"
      value=${values.last_name}
      onInput=${(e) => set({ last_name: e.target.value })}
    />
    <${IntervalSelect} value=${values.digest_interval} onChange=${(v) => set({ digest_interval: v })} />
    <button type="submit" class="primary" disabled=${action.busy}>Save</button>
    <button type="button" onClick=${() => onDone(false)}>Cancel</button>
    <${ErrorBox} error=${action.error} />
  </form>`;
}
