// Categories: create, rename, re-describe, delete (its threads become unlabelled and are classified again).
import { projectApi } from '../lib/api.js';
import { Confirm, ErrorBox, Field, Table, html, useAction, useLoad, useState, when } from '../lib/ui.js';

export default function Categories() {
  const list = useLoad((signal) => projectApi('/categories/', { signal }), []);
  const [editing, setEditing] = useState(null);
  const [run, action] = useAction();
  const remove = (c) =>
    run(async () => {
      await projectApi(`/categories/${c.id}/`, { method: 'DELETE' });
      list.reload();
    });
  return html`<h1>Categories</h1>
    <${NewCategory} onCreated=${list.reload} />
    <${ErrorBox} error=${list.error ?? action.error} />
    <div aria-busy=${list.busy || action.busy}>
      <${Table}
        caption="The project's categories"
        head=${['Name', 'Description', 'Changed', 'Actions']}
        empty="No category yet: every thread stays unlabelled."
        rows=${(list.data?.results ?? []).map((c) => ({
          key: c.id,
          cells:
            editing === c.id
              ? [html`<${EditCategory} category=${c} onDone=${() => (setEditing(null), list.reload())} />`, '', '', '']
              : [
                  c.name,
                  c.description,
                  when(c.updated_at),
                  html`<div class="actions">
                    <button type="button" aria-label=${`Edit ${c.name}`} onClick=${() => setEditing(c.id)}>Edit</button>
                    <${Confirm} what=${c.name} onConfirm=${() => remove(c)} />
                  </div>`,
                ],
        }))}
      />
    </div>`;
}

function NewCategory({ onCreated }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [run, action] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      await projectApi('/categories/', { method: 'POST', body: { name, description } });
      setName('');
      setDescription('');
      onCreated();
    });
  };
  return html`<form class="inline" onSubmit=${submit} aria-label="New category" aria-busy=${action.busy}>
    <${Field} label="Name" value=${name} required maxlength="100" onInput=${(e) => setName(e.target.value)} />
    <${Field}
      label="Description"
      value=${description}
      maxlength="1000"
      onInput=${(e) => setDescription(e.target.value)}
    />
    <button type="submit" class="primary" disabled=${action.busy}>Create category</button>
    <${ErrorBox} error=${action.error} />
  </form>`;
}

function EditCategory({ category, onDone }) {
  const [name, setName] = useState(category.name);
  const [description, setDescription] = useState(category.description);
  const [run, action] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      await projectApi(`/categories/${category.id}/`, { method: 'PATCH', body: { name, description } });
      onDone();
    });
  };
  return html`<form class="inline" onSubmit=${submit} aria-label=${`Edit ${category.name}`} aria-busy=${action.busy}>
    <${Field} label="New name" value=${name} required maxlength="100" onInput=${(e) => setName(e.target.value)} />
    <${Field}
      label="New description"
      value=${description}
      maxlength="1000"
      onInput=${(e) => setDescription(e.target.value)}
    />
    <button type="submit" class="primary" disabled=${action.busy}>Save</button>
    <button type="button" onClick=${onDone}>Cancel</button>
    <${ErrorBox} error=${action.error} />
  </form>`;
}
