// Shared components of the console's pages. Every control has a label; errors are role="alert" with the
// API's own words; lists are tables; work in progress is aria-busy.
import { html, useState, useEffect, useRef, useCallback } from '../vendor/preact.js';

export { html, useState, useEffect, useRef, useCallback };

/** The API's error in words (nothing when there is none). */
export function ErrorBox({ error }) {
  if (!error) return null;
  const code = error.code ? ` (${error.code})` : '';
  return html`<div class="error" role="alert">${error.message}${code}</div>`;
}

let ids = 0;
const nextId = () => `f${++ids}`;

/**
 * A labelled control: `<Field label="Name" value=${v} onInput=${e => ...} />`; `as` is input (default), select or
 * textarea; children are a select's options; `hint` is described by aria-describedby.
 */
export function Field({ label, as = 'input', id, hint, children, ...props }) {
  const auto = useRef(null);
  if (!auto.current) auto.current = nextId();
  const fieldId = id ?? auto.current;
  const hintId = hint ? `${fieldId}-hint` : undefined;
  const control =
    as === 'select'
      ? html`<select id=${fieldId} aria-describedby=${hintId} ...${props}>
          ${children}
        </select>`
      : as === 'textarea'
        ? html`<textarea id=${fieldId} aria-describedby=${hintId} ...${props}></textarea>`
        : html`<input id=${fieldId} aria-describedby=${hintId} ...${props} />`;
  return html`<div class=${`field ${props.type === 'checkbox' ? 'field-check' : ''}`}>
    <label for=${fieldId}>${label}</label>
    ${control} ${hint && html`<small id=${hintId} class="hint">${hint}</small>`}
  </div>`;
}

/**
 * A destructive action in two steps: the first button (`label`, e.g. "Delete") shows "Confirm delete" and
 * "Cancel"; `onConfirm` runs only on the second. `what` names the thing for screen readers.
 */
export function Confirm({ label = 'Delete', confirmLabel, what, onConfirm, disabled }) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  const confirmRef = useRef(null);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
  }, [asking]);
  const second = confirmLabel ?? `Confirm ${label.toLowerCase()}`;
  if (!asking)
    return html`<button
      type="button"
      class="danger-outline"
      disabled=${disabled}
      aria-label=${what ? `${label} ${what}` : undefined}
      onClick=${() => setAsking(true)}
    >
      ${label}
    </button>`;
  return html`<span class="confirm" role="group" aria-label=${`${label} ${what ?? ''}?`.trim()}>
    <button
      type="button"
      class="danger"
      ref=${confirmRef}
      disabled=${busy}
      onClick=${async () => {
        setBusy(true);
        try {
          await onConfirm();
        } finally {
          setBusy(false);
          setAsking(false);
        }
      }}
    >
      ${second}
    </button>
    <button type="button" onClick=${() => setAsking(false)}>Cancel</button>
  </span>`;
}

/** Cursor paging of a `{results, next}` list: "Previous" and "Next". */
export function Pager({ hasPrevious, hasNext, onPrevious, onNext, busy }) {
  if (!hasPrevious && !hasNext) return null;
  return html`<nav class="pager" aria-label="Pages">
    <button type="button" disabled=${!hasPrevious || busy} onClick=${onPrevious}>Previous</button>
    <button type="button" disabled=${!hasNext || busy} onClick=${onNext}>Next</button>
  </nav>`;
}

/** A `<progress>` with its numbers in words beside it. */
export function Progress({ value, max, label }) {
  const known = typeof max === 'number' && max > 0;
  const text = known ? `${value} of ${max} (${Math.floor((100 * value) / max)}%)` : `${value ?? 0}`;
  return html`<div class="progress">
    <progress value=${known ? value : undefined} max=${known ? max : undefined} aria-label=${label}></progress>
    <span>${label ? `${label}: ` : ''}${text}</span>
  </div>`;
}

/**
 * A table with a caption; scrolls sideways on a narrow screen (the wrapper is focusable so a keyboard can scroll).
 * `head` is a list of column names, `rows` a list of rows (each a list of cells, or `{key, cells}`).
 */
export function Table({ caption, head, rows, empty = 'Nothing yet.' }) {
  return html`<div class="table-scroll" tabindex="0" role="region" aria-label=${caption}>
    <table>
      <caption>
        ${caption}
      </caption>
      <thead>
        <tr>
          ${head.map((name) => html`<th scope="col">${name}</th>`)}
        </tr>
      </thead>
      <tbody>
        ${
          rows.length === 0
            ? html`<tr>
                <td colspan=${head.length} class="empty">${empty}</td>
              </tr>`
            : rows.map((row, i) => {
                const cells = Array.isArray(row) ? row : row.cells;
                return html`<tr key=${row.key ?? i}>
                  ${cells.map((cell) => html`<td>${cell}</td>`)}
                </tr>`;
              })
        }
      </tbody>
    </table>
  </div>`;
}

/** Calls `fn` now and every `ms` while the component is shown (and `active`); the latest fn is used. */
export function usePoll(fn, ms, active = true) {
  const latest = useRef(fn);
  latest.current = fn;
  useEffect(() => {
    if (!active) return undefined;
    let stopped = false;
    let timer;
    const tick = async () => {
      try {
        await latest.current();
      } finally {
        if (!stopped) timer = setTimeout(tick, ms);
      }
    };
    tick();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [ms, active]);
}

/**
 * Loads data with `load(signal)` when `deps` change: `{data, error, busy, reload, setData}`. Errors are kept
 * (ApiError, shown by ErrorBox), never thrown.
 */
export function useLoad(load, deps = []) {
  const [state, setState] = useState({ data: null, error: null, busy: true });
  const [round, setRound] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((s) => ({ ...s, busy: true }));
    load(controller.signal).then(
      (data) => controller.signal.aborted || setState({ data, error: null, busy: false }),
      (error) => controller.signal.aborted || setState((s) => ({ ...s, error, busy: false })),
    );
    return () => controller.abort();
  }, [...deps, round]);
  const reload = useCallback(() => setRound((n) => n + 1), []);
  const setData = useCallback((data) => setState((s) => ({ ...s, data })), []);
  return { ...state, reload, setData };
}

/**
 * A cursor-paged list: `load(cursor, signal)` gives `{results, next}`. Returns the page, its error, and the
 * Pager's props; `reset` goes back to the first page (after a filter change, `deps` does it).
 */
export function usePaged(load, deps = []) {
  const [cursors, setCursors] = useState([null]);
  useEffect(() => setCursors([null]), deps);
  const cursor = cursors[cursors.length - 1];
  const page = useLoad((signal) => load(cursor, signal), [cursor, ...deps]);
  const pager = {
    hasPrevious: cursors.length > 1,
    hasNext: Boolean(page.data?.next),
    busy: page.busy,
    onPrevious: () => setCursors((list) => list.slice(0, -1)),
    onNext: () => page.data?.next && setCursors((list) => [...list, page.data.next]),
  };
  return { ...page, pager, reset: () => setCursors([null]) };
}

/** Runs an action, keeping its error and busy state: `const [run, {busy, error}] = useAction()`. */
export function useAction() {
  const [state, setState] = useState({ busy: false, error: null });
  const run = useCallback(async (action) => {
    setState({ busy: true, error: null });
    try {
      const result = await action();
      setState({ busy: false, error: null });
      return result;
    } catch (error) {
      setState({ busy: false, error });
      return undefined;
    }
  }, []);
  return [run, state];
}

/** A date-time in the browser's locale and time zone. */
export const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');
/** A count in the browser's locale. */
export const count = (n) => (typeof n === 'number' ? n.toLocaleString() : (n ?? ''));
/** An in-console link: `#/p/...` or `#/admin/...`. */
export const Link = ({ to, children, ...props }) => html`<a href=${`#${to}`} ...${props}>${children}</a>`;
