// Projects across teams: search by project or product name, keep one team's, create one in a team (it gets
// the default categories), rename, delete (with a confirmation: its keys stop working at once, its data is
// removed in the background). Each project links to its API keys.
import { adminApi } from '../lib/api.js';
import { Confirm, ErrorBox, Field, Link, Pager, Table, html, useAction, useState, when } from '../lib/ui.js';
import { RenameForm, TeamSelect, useTeamList } from './shared.js';

export default function Projects() {
  const { teams, list, filters, filtersBar } = useTeamList('/projects', 'Search projects');
  const [renaming, setRenaming] = useState(null);
  const [run, action] = useAction();
  const remove = (project) =>
    run(async () => {
      await adminApi(`/projects/${project.id}`, { method: 'DELETE' });
      list.reload();
    });

  return html`<h1>Projects</h1>
    ${filtersBar}
    <${ErrorBox} error=${list.error ?? teams.error ?? action.error} />
    <div aria-busy=${list.busy || action.busy}>
      <${Table}
        caption="Projects"
        head=${['Project', 'Product', 'Team', 'Created', 'Actions']}
        empty="No project matches."
        rows=${(list.data?.results ?? []).map((project) => ({
          key: project.id,
          cells:
            renaming === project.id
              ? [
                  html`<${RenameForm}
                    what=${project.project_name}
                    fields=${[
                      { name: 'project_name', label: 'New project name', value: project.project_name },
                      { name: 'product_name', label: 'New product name', value: project.product_name },
                    ]}
                    save=${(body) => adminApi(`/projects/${project.id}`, { method: 'PATCH', body })}
                    onDone=${(saved) => (setRenaming(null), saved && list.reload())}
                  />`,
                  '',
                  '',
                  '',
                  '',
                ]
              : [
                  html`<${Link} to=${`/admin/projects/${project.id}`}>${project.project_name}</${Link}>`,
                  project.product_name,
                  teams.names.get(project.team) ?? project.team,
                  when(project.created_at),
                  html`<div class="actions">
                    <${Link}
                      class="button"
                      to=${`/admin/projects/${project.id}`}
                      aria-label=${`API keys of ${project.project_name}`}
                      >API keys</${Link}
                    >
                    <button
                      type="button"
                      aria-label=${`Rename ${project.project_name}`}
                      onClick=${() => setRenaming(project.id)}
                    >
                      Rename
                    </button>
                    <${Confirm} what=${project.project_name} onConfirm=${() => remove(project)} />
                  </div>`,
                ],
        }))}
      />
      <${Pager} ...${list.pager} />
    </div>
    <h2>New project</h2>
    <${NewProject} teams=${teams} team=${filters.team_id} onCreated=${list.reload} />`;
}

function NewProject({ teams, team, onCreated }) {
  const [values, setValues] = useState({ team: team ?? '', project_name: '', product_name: '' });
  const [created, setCreated] = useState(null);
  const [run, action] = useAction();
  const set = (change) => setValues((v) => ({ ...v, ...change }));
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const { team: teamId, ...body } = values;
      const project = await adminApi(`/teams/${teamId}/projects`, { method: 'POST', body });
      setValues({ team: teamId, project_name: '', product_name: '' });
      setCreated(project);
      onCreated();
    });
  };
  return html`<form class="inline" onSubmit=${submit} aria-label="New project" aria-busy=${action.busy}>
    <${TeamSelect}
      label="Team of the new project"
      teams=${teams}
      value=${values.team}
      required
      onChange=${(id) => set({ team: id })}
    />
    <${Field}
      label="Project name"
      required
      maxlength="200"
      value=${values.project_name}
      onInput=${(e) => set({ project_name: e.target.value })}
    />
    <${Field}
      label="Product name"
      required
      maxlength="200"
      value=${values.product_name}
      onInput=${(e) => set({ product_name: e.target.value })}
    />
    <button type="submit" class="primary" disabled=${action.busy}>Create project</button>
    <${ErrorBox} error=${action.error} />
    ${
      created &&
      html`<p class="notice" role="status">
        Project “${created.project_name}” created.${' '}
        <${Link} to=${`/admin/projects/${created.id}`}>Create its API key</${Link}>
      </p>`
    }
  </form>`;
}
