// One thread: its conversation with each answer's sources, usage and feedback; its category can be changed.
import { projectApi, query } from '../lib/api.js';
import {
  ErrorBox,
  Field,
  Link,
  Pager,
  Table,
  count,
  html,
  useAction,
  useLoad,
  usePaged,
  useState,
  when,
} from '../lib/ui.js';

export default function Thread({ id }) {
  const thread = useLoad((signal) => projectApi(`/threads/${encodeURIComponent(id)}/`, { signal }), [id]);
  const t = thread.data;
  return html`<h1>Thread</h1>
    <p><${Link} to="/p/threads">Back to threads<//></p>
    <${ErrorBox} error=${thread.error} />
    <div aria-busy=${thread.busy}>
      ${
        t &&
        html`<dl class="facts">
            <dt>Category</dt>
            <dd data-testid="thread-category">
              ${t.category?.name ?? 'Unlabelled'}${t.category_source ? ` (by ${t.category_source})` : ''}
            </dd>
            <dt>Created</dt>
            <dd>${when(t.created_at)}</dd>
            <dt>Questions</dt>
            <dd>${count(t.total_questions)}</dd>
          </dl>
          <${Relabel} thread=${t} onChanged=${thread.setData} />
          <h2>Conversation</h2>
          <ol class="conversation">
            ${t.question_answers.map((qa) => html`<${QuestionAnswer} qa=${qa} key=${qa.id} />`)}
          </ol>`
      }
    </div>`;
}

function Relabel({ thread, onChanged }) {
  const categories = useLoad((signal) => projectApi('/categories/', { signal }), []);
  const [choice, setChoice] = useState(thread.category?.id ?? '');
  const [run, action] = useAction();
  const submit = (e) => {
    e.preventDefault();
    run(async () => {
      const body = { category_id: choice === '' ? null : choice };
      onChanged(await projectApi(`/threads/${thread.id}/`, { method: 'PATCH', body }));
    });
  };
  return html`<form class="inline" onSubmit=${submit} aria-busy=${action.busy}>
    <${Field}
      as="select"
      label="Change category"
      value=${choice}
      onChange=${(e) => setChoice(e.target.value)}
      hint="Your label always wins over the classifier's; “Let the classifier decide” hands it back."
    >
      <option value="">Let the classifier decide</option>
      ${(categories.data?.results ?? []).map((c) => html`<option value=${c.id}>${c.name}</option>`)}
    <//>
    <button type="submit" class="primary" disabled=${action.busy}>Save category</button>
    <${ErrorBox} error=${categories.error ?? action.error} />
  </form>`;
}

function QuestionAnswer({ qa }) {
  const [showFeedback, setShowFeedback] = useState(false);
  const usage = qa.usage;
  return html`<li>
    <p class="question">${qa.question}</p>
    <p class="answer">${qa.answer}</p>
    <p class="meta">
      ${when(qa.created_at)}
      ${
        usage
          ? ` · ${usage.model}: ${count(usage.prompt_tokens)} prompt + ${count(usage.completion_tokens)} completion tokens, ${count(usage.latency_ms)} ms`
          : ' · usage not recorded'
      }
      ${` · ${count(qa.feedback.upvotes)} up, ${count(qa.feedback.downvotes)} down`}
    </p>
    ${
      qa.relevant_sources.length > 0
        ? html`<p class="meta">Sources:</p>
            <ul class="sources">
              ${qa.relevant_sources.map(
                (s) =>
                  html`<li>
                    ${s.url ? html`<a href=${s.url} rel="noopener noreferrer" target="_blank">${s.title}</a>` : s.title}
                  </li>`,
              )}
            </ul>`
        : html`<p class="meta">No source cited.</p>`
    }
    ${
      qa.feedback.upvotes + qa.feedback.downvotes > 0 &&
      html`<button type="button" aria-expanded=${showFeedback} onClick=${() => setShowFeedback(!showFeedback)}>
          ${showFeedback ? 'Hide feedback' : 'Show feedback'}
        </button>
        ${showFeedback && html`<${FeedbackList} id=${qa.id} />`}`
    }
  </li>`;
}

function FeedbackList({ id }) {
  const list = usePaged(
    (cursor, signal) => projectApi(`/question-answers/${id}/feedback${query({ cursor, limit: 20 })}`, { signal }),
    [id],
  );
  return html`<div aria-busy=${list.busy}>
    <${ErrorBox} error=${list.error} />
    <${Table}
      caption="Feedback on this answer, newest first"
      head=${['Reaction', 'Comment', 'User', 'When']}
      rows=${(list.data?.results ?? []).map((f) => [f.reaction, f.comment ?? '', f.user_identifier ?? 'anonymous', when(f.updated_at)])}
    />
    <${Pager} ...${list.pager} />
  </div>`;
}
