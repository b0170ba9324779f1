// Webhooks: register endpoints (the secret is shown once), pause, delete, send a test event, and see each
// one's latest deliveries with why they failed.
import { projectApi } from '../lib/api.js';
import { Confirm, ErrorBox, Field, Table, count, html, useAction, useLoad, useState, when } from '../lib/ui.js';

const EVENTS = ['thread.created', 'thread.labelled'];

export default function Webhooks() {
  const list = useLoad((signal) => projectApi('/webhooks', { signal }), []);
  const [secret, setSecret] = useState(null);
  const [open, setOpen] = useState(null);
  const [tested, setTested] = useState({});
  const [run, action] = useAction();
  const hooks = list.data?.results ?? [];
  const remove = (w) => run(async () => (await projectApi(`/webhooks/${w.id}`, { method: 'DELETE' }), list.reload()));
  const toggle = (w) =>
    run(
      async () => (
        await projectApi(`/webhooks/${w.id}`, { method: 'PATCH', body: { enabled: !w.enabled } }),
        list.reload()
      ),
    );
  const test = (w) =>
    run(async () => setTested({ ...tested, [w.id]: await projectApi(`/webhooks/${w.id}/test`, { method: 'POST' }) }));

  return html`<h1>Webhooks</h1>
    <${NewWebhook} onCreated=${(created) => (setSecret(created), list.reload())} />
    ${
      secret &&
      html`<div class="secret" role="status">
        <p>Signing secret of ${secret.url}, shown only now: keep it to verify deliveries.</p>
        <p class="mono" data-testid="webhook-secret">${secret.secret}</p>
        <button type="button" onClick=${() => setSecret(null)}>I have kept it</button>
      </div>`
    }
    <${ErrorBox} error=${list.error ?? action.error} />
    <div aria-busy=${list.busy || action.busy}>
      <${Table}
        caption="Webhooks"
        head=${['URL', 'Events', 'Description', 'Enabled', 'Created', 'Last test', 'Actions']}
        empty="No webhook yet."
        rows=${hooks.map((w) => ({
          key: w.id,
          cells: [
            html`<span class="mono">${w.url}</span>`,
            w.events.join(', '),
            w.description ?? '',
            w.enabled ? 'yes' : 'paused',
            when(w.created_at),
            tested[w.id] ? testWords(tested[w.id]) : '',
            html`<div class="actions">
              <button type="button" aria-label=${`Send test to ${w.url}`} onClick=${() => test(w)}>Send test</button>
              <button
                type="button"
                aria-expanded=${open === w.id}
                aria-label=${`Deliveries of ${w.url}`}
                onClick=${() => setOpen(open === w.id ? null : w.id)}
              >
                Deliveries
              </button>
              <button type="button" onClick=${() => toggle(w)}>${w.enabled ? 'Pause' : 'Resume'}</button>
              <${Confirm} what=${w.url} onConfirm=${() => remove(w)} />
            </div>`,
          ],
        }))}
      />
    </div>
    ${open && html`<${Deliveries} webhook=${hooks.find((w) => w.id === open)} key=${open} />`}`;
}

const testWords = (t) =>
  t.delivered
    ? `delivered (HTTP ${t.response_status}, ${t.duration_ms} ms)`
    : `failed: ${t.error ?? `HTTP ${t.response_status}`} (${t.duration_ms} ms)`;

function Deliveries({ webhook }) {
  const list = useLoad((signal) => projectApi(`/webhooks/${webhook.id}/deliveries`, { signal }), [webhook.id]);
  return html`<section aria-labelledby="deliveries" aria-busy=${list.busy}>
    <h2 id="deliveries">Deliveries to ${webhook.url}</h2>
    <button type="button" onClick=${list.reload}>Refresh</button>
    <${ErrorBox} error=${list.error} />
    <${Table}
      caption="Latest 100 deliveries, newest first"
      head=${['Event', 'Type', 'Status', 'Attempts', 'Response', 'Error', 'Created', 'Delivered']}
      empty="Nothing delivered yet."
      rows=${(list.data?.results ?? []).map((d) => ({
        key: d.event_id,
        cells: [
          html`<span class="mono">${d.event_id}</span>`,
          d.type,
          d.status,
          count(d.attempts),
          d.response_status ?? '',
          d.error ?? '',
          when(d.created_at),
          when(d.delivered_at),
        ],
      }))}
    />
  </section>`;
}

function NewWebhook({ onCreated }) {
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [events, setEvents] = useState(EVENTS);
  const [run, action] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { url: url.trim(), events };
      if (description.trim()) body.description = description.trim();
      onCreated(await projectApi('/webhooks', { method: 'POST', body }));
      setUrl('');
      setDescription('');
    });
  };
  const flip = (name) => setEvents(events.includes(name) ? events.filter((e) => e !== name) : [...events, name]);
  return html`<form onSubmit=${submit} aria-labelledby="new-webhook" aria-busy=${action.busy}>
    <h2 id="new-webhook">New webhook</h2>
    <div class="filters">
      <${Field} label="Endpoint URL" type="url" required value=${url} onInput=${(e) => setUrl(e.target.value)} />
      <${Field}
        label="Description"
        maxlength="500"
        value=${description}
        onInput=${(e) => setDescription(e.target.value)}
      />
    </div>
    <fieldset>
      <legend>Events</legend>
      ${EVENTS.map((name) => html`<${Field} label=${name} type="checkbox" checked=${events.includes(name)} onChange=${() => flip(name)} />`)}
    </fieldset>
    <${ErrorBox} error=${action.error} />
    <button type="submit" class="primary" disabled=${action.busy}>Create webhook</button>
  </form>`;
}
