// Search: the project's sources as the chat retrieves them, best sections first.
import { projectApi, query } from '../lib/api.js';
import { ErrorBox, Field, Link, Table, html, useAction, useState } from '../lib/ui.js';

export default function Search() {
  const [text, setText] = useState('');
  const [limit, setLimit] = useState('10');
  const [found, setFound] = useState(null);
  const [run, action] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => setFound(await projectApi(`/search${query({ query: text, limit })}`)));
  };
  return html`<h1>Search</h1>
    <form class="inline" role="search" onSubmit=${submit} aria-busy=${action.busy}>
      <${Field}
        label="Search the sources"
        type="search"
        required
        maxlength="1000"
        value=${text}
        onInput=${(e) => setText(e.target.value)}
      />
      <${Field} as="select" label="Results" value=${limit} onChange=${(e) => setLimit(e.target.value)}>
        <option value="5">5</option>
        <option value="10">10</option>
        <option value="20">20</option>
      <//>
      <button type="submit" class="primary" disabled=${action.busy}>Search</button>
    </form>
    <${ErrorBox} error=${action.error} />
    ${
      found &&
      html`<${Table}
        caption="Best matching sections, best first"
        head=${['Document', 'Section', 'Passage', 'Score']}
        empty="Nothing in the sources matches."
        rows=${found.results.map((r) => ({
          key: r.document_id,
          cells: [
            html`${r.url ? html`<a href=${r.url} rel="noopener noreferrer" target="_blank">${r.title}</a>` : r.title}<br />
              <${Link} to=${`/p/sources/${r.source_id}`} class="meta">source<//>`,
            r.section,
            r.snippet,
            r.score.toFixed(2),
          ],
        }))}
      />`
    }`;
}
