// A project and its API keys: create one (its secret shown this once), rename, revoke (with a confirmation:
// the key is refused from the next request on). Revoked keys stay listed, with when.
import { adminApi } from '../lib/api.js';
import { Confirm, ErrorBox, Field, Link, Table, html, useAction, useLoad, useState, when } from '../lib/ui.js';
import { RenameForm } from './shared.js';

export default function Project({ id }) {
  const project = useLoad((signal) => adminApi(`/projects/${encodeURIComponent(id)}`, { signal }), [id]);
  const keys = useLoad((signal) => adminApi(`/projects/${encodeURIComponent(id)}/api-keys`, { signal }), [id]);
  const team = useLoad(
    (signal) => (project.data ? adminApi(`/teams/${project.data.team}`, { signal }) : Promise.resolve(null)),
    [project.data?.team],
  );
  const [renaming, setRenaming] = useState(null);
  const [run, action] = useAction();
  const p = project.data;
  const revoke = (key) =>
    run(async () => {
      await adminApi(`/api-keys/${key.id}`, { method: 'DELETE' });
      keys.reload();
    });

  return html`<h1>Project</h1>
    <p><${Link} to="/admin/projects">All projects</${Link}></p>
    <${ErrorBox} error=${project.error} />
    ${
      p &&
      html`<dl class="facts" aria-busy=${project.busy}>
        <dt>Project name</dt>
        <dd>${p.project_name}</dd>
        <dt>Product name</dt>
        <dd>${p.product_name}</dd>
        <dt>Project id</dt>
        <dd class="mono">${p.id}</dd>
        <dt>Team</dt>
        <dd><${Link} to=${`/admin/projects?team_id=${p.team}`}>${team.data?.name ?? p.team}</${Link}></dd>
        <dt>Created</dt>
        <dd>${when(p.created_at)}</dd>
      </dl>`
    }
    ${
      p &&
      html`<h2>API keys</h2>
        <${NewKey} projectId=${p.id} onCreated=${keys.reload} />`
    }
    <${ErrorBox} error=${project.error ? null : (keys.error ?? action.error)} />
    <div aria-busy=${keys.busy || action.busy} hidden=${Boolean(project.error)}>
      <${Table}
        caption="The project's API keys (never their secrets)"
        head=${['Name', 'Prefix', 'Created', 'Last used', 'Revoked', 'Actions']}
        empty="No API key yet: create one to use the API and the project console."
        rows=${(keys.data?.results ?? []).map((key) => ({
          key: key.id,
          cells:
            renaming === key.id
              ? [
                  html`<${RenameForm}
                    what=${key.name}
                    fields=${[{ name: 'name', label: 'New key name', value: key.name }]}
                    save=${(body) => adminApi(`/api-keys/${key.id}`, { method: 'PATCH', body })}
                    onDone=${(saved) => (setRenaming(null), saved && keys.reload())}
                  />`,
                  '',
                  '',
                  '',
                  '',
                  '',
                ]
              : [
                  key.name,
                  html`<span class="mono">${key.prefix}</span>`,
                  when(key.created_at),
                  key.last_used_at ? when(key.last_used_at) : 'never',
                  key.revoked_at ? when(key.revoked_at) : 'no',
                  html`<div class="actions">
                    <button type="button" aria-label=${`Rename ${key.name}`} onClick=${() => setRenaming(key.id)}>
                      Rename
                    </button>
                    ${
                      !key.revoked_at &&
                      html`<${Confirm} label="Revoke" what=${key.name} onConfirm=${() => revoke(key)} />`
                    }
                  </div>`,
                ],
        }))}
      />
    </div>`;
}

function NewKey({ projectId, onCreated }) {
  const [name, setName] = useState('');
  const [secret, setSecret] = useState(null);
  const [copied, setCopied] = useState(false);
  const [run, action] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const key = await adminApi(`/projects/${projectId}/api-keys`, { method: 'POST', body: { name } });
      setName('');
      setCopied(false);
      setSecret(key);
      onCreated();
    });
  };
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(secret.key);
      setCopied(true);
    } catch {
      // No clipboard (an insecure origin, a refusal): the key is on the screen to select.
    }
  };
  return html`<form class="inline" onSubmit=${submit} aria-label="New API key" aria-busy=${action.busy}>
      <${Field} label="Key name" required maxlength="200" value=${name} onInput=${(e) => setName(e.target.value)} />
      <button type="submit" class="primary" disabled=${action.busy}>Create key</button>
      <${ErrorBox} error=${action.error} />
    </form>
    ${
      secret &&
      html`<div class="secret" role="status">
        <p>The key “${secret.name}”: copy it now, it is not shown again (this page forgets it when you leave).</p>
        <p><code class="mono" aria-label="New API key secret">${secret.key}</code></p>
        <div class="actions">
          <button type="button" onClick=${copy}>${copied ? 'Copied' : 'Copy key'}</button>
          <button type="button" onClick=${() => setSecret(null)}>Hide key</button>
        </div>
      </div>`
    }`;
}
