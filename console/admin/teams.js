// Teams: search, create, rename, delete (with a confirmation; a team with projects only with them, a second
// confirmation). Each team links to its users and projects.
import { adminApi, query } from '../lib/api.js';
import { Confirm, ErrorBox, Field, Link, Pager, Table, html, useAction, usePaged, useState, when } from '../lib/ui.js';
import { RenameForm, SearchBox, hashParams, setHashParams } from './shared.js';

export default function Teams() {
  const [q, setQ] = useState(hashParams().get('q') ?? '');
  const list = usePaged((cursor, signal) => adminApi(`/teams${query(cursor ? { cursor } : { q })}`, { signal }), [q]);
  const [renaming, setRenaming] = useState(null);
  // The team whose delete was refused because of its projects: it may be deleted with them.
  const [withProjects, setWithProjects] = useState(null);
  const [run, action] = useAction();
  const search = (text) => {
    setHashParams({ q: text });
    setQ(text);
  };
  const remove = (team, cascade) =>
    run(async () => {
      try {
        await adminApi(`/teams/${team.id}${cascade ? '?cascade=true' : ''}`, { method: 'DELETE' });
      } catch (err) {
        if (err.status === 409) setWithProjects(team.id);
        throw err;
      }
      setWithProjects(null);
      list.reload();
    });

  return html`<h1>Teams</h1>
    <${SearchBox} label="Search teams" value=${q} onSearch=${search} />
    <${ErrorBox} error=${list.error ?? action.error} />
    <div aria-busy=${list.busy || action.busy}>
      <${Table}
        caption=${q ? `Teams whose name contains “${q}”` : 'Teams, oldest first'}
        head=${['Name', 'Created', 'Members and projects', 'Actions']}
        empty=${q ? 'No team matches.' : 'No team yet.'}
        rows=${(list.data?.results ?? []).map((team) => ({
          key: team.id,
          cells:
            renaming === team.id
              ? [
                  html`<${RenameForm}
                    what=${team.name}
                    fields=${[{ name: 'name', label: 'New name', value: team.name }]}
                    save=${(v) => adminApi(`/teams/${team.id}`, { method: 'PATCH', body: { name: v.name } })}
                    onDone=${(saved) => (setRenaming(null), saved && list.reload())}
                  />`,
                  '',
                  '',
                  '',
                ]
              : [
                  team.name,
                  when(team.created_at),
                  html`<${Link} to=${`/admin/users?team_id=${team.id}`} aria-label=${`Users of ${team.name}`}
                      >Users</${Link}
                    >${' · '}<${Link}
                      to=${`/admin/projects?team_id=${team.id}`}
                      aria-label=${`Projects of ${team.name}`}
                      >Projects</${Link}
                    >`,
                  html`<div class="actions">
                    <button type="button" aria-label=${`Rename ${team.name}`} onClick=${() => setRenaming(team.id)}>
                      Rename
                    </button>
                    <${Confirm} what=${team.name} onConfirm=${() => remove(team, false)} />
                    ${
                      withProjects === team.id &&
                      html`<${Confirm}
                        label="Delete with its projects"
                        what=${team.name}
                        onConfirm=${() => remove(team, true)}
                      />`
                    }
                  </div>`,
                ],
        }))}
      />
      <${Pager} ...${list.pager} />
    </div>
    <h2>New team</h2>
    <${NewTeam} onCreated=${list.reload} />`;
}

function NewTeam({ onCreated }) {
  const [name, setName] = useState('');
  const [created, setCreated] = useState(null);
  const [run, action] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const team = await adminApi('/teams', { method: 'POST', body: { name } });
      setName('');
      setCreated(team);
      onCreated();
    });
  };
  return html`<form class="inline" onSubmit=${submit} aria-label="New team" aria-busy=${action.busy}>
    <${Field} label="Team name" value=${name} required maxlength="200" onInput=${(e) => setName(e.target.value)} />
    <button type="submit" class="primary" disabled=${action.busy}>Create team</button>
    <${ErrorBox} error=${action.error} />
    ${created && html`<p class="notice" role="status">Team “${created.name}” created.</p>`}
  </form>`;
}
