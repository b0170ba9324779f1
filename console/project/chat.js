// Try it: ask the project's chat as a user would; the answer streams in, then its sources are shown.
import { streamChat } from '../lib/api.js';
import { ErrorBox, Field, Link, html, useRef, useState } from '../lib/ui.js';

export default function Chat() {
  const [question, setQuestion] = useState('');
  const [threadId, setThreadId] = useState(null);
  const [turns, setTurns] = useState([]);
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const abort = useRef(null);

  const ask = async (e) => {
    e.preventDefault();
    const asked = question.trim();
    if (!asked) return;
    setError(null);
    setBusy(true);
    setQuestion('');
    const index = turns.length;
    const update = (change) => setTurns((list) => list.map((t, i) => (i === index ? { ...t, ...change } : t)));
    setTurns((list) => [...list, { question: asked, answer: '', sources: null }]);
    abort.current = new AbortController();
    let answer = '';
    try {
      const done = await streamChat({
        question: asked,
        threadId,
        signal: abort.current.signal,
        onDelta: (text) => update({ answer: (answer += text) }),
      });
      update({ answer: done.answer, sources: done.relevant_sources });
      setThreadId(done.thread_id);
    } catch (err) {
      if (err.name !== 'AbortError') setError(err);
      update({ stopped: true });
    } finally {
      setBusy(false);
    }
  };

  return html`<h1>Try it</h1>
    <p>Ask as your users would. A follow-up continues the same thread; it is stored like any other.</p>
    ${
      threadId &&
      html`<p class="meta">
        Thread: <${Link} to=${`/p/threads/${threadId}`}>${threadId}<//>
        <button type="button" onClick=${() => (setThreadId(null), setTurns([]))}>New conversation</button>
      </p>`
    }
    <ol class="conversation" aria-live="polite" aria-busy=${busy}>
      ${turns.map(
        (t, i) =>
          html`<li key=${i}>
            <p class="question">${t.question}</p>
            <p class="answer" data-testid="chat-answer">${t.answer || (busy && i === turns.length - 1 ? '…' : '')}</p>
            ${t.stopped && html`<p class="meta">The answer stopped.</p>`}
            ${
              t.sources &&
              (t.sources.length === 0
                ? html`<p class="meta">No source was relevant.</p>`
                : html`<p class="meta">Sources:</p>
                    <ul class="sources" aria-label="Sources">
                      ${t.sources.map(
                        (s) =>
                          html`<li>
                            ${s.url ? html`<a href=${s.url} rel="noopener noreferrer" target="_blank">${s.title}</a>` : s.title}
                          </li>`,
                      )}
                    </ul>`)
            }
          </li>`,
      )}
    </ol>
    <form onSubmit=${ask}>
      <${Field}
        as="textarea"
        label=${threadId ? 'Follow-up question' : 'Question'}
        required
        maxlength="10000"
        rows="3"
        value=${question}
        onInput=${(e) => setQuestion(e.target.value)}
      />
      <${ErrorBox} error=${error} />
      <div class="actions">
        <button type="submit" class="primary" disabled=${busy}>Ask</button>
        ${busy && html`<button type="button" onClick=${() => abort.current?.abort()}>Stop</button>`}
      </div>
    </form>`;
}
