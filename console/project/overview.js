// Overview: threads per category (the API's /categories/stats), and the same over time as a chart
// (/categories/stats/timeseries in the browser's time zone).
import uPlot from '../vendor/uPlot.esm.js';
import { projectApi, query } from '../lib/api.js';
import { ErrorBox, Field, Table, count, html, useEffect, useLoad, useRef, useState } from '../lib/ui.js';

const ZONE = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
const COLOURS = ['#0550ae', '#bf3989', '#1a7f37', '#9a6700', '#8250df', '#cf222e', '#0a7f83', '#6e7781'];
const nameOf = (category) => (category ? category.name : 'Unlabelled');

export default function Overview() {
  const [interval, setPeriod] = useState('day');
  const stats = useLoad((signal) => projectApi('/categories/stats', { signal }), []);
  const series = useLoad(
    (signal) => projectApi(`/categories/stats/timeseries${query({ interval, timezone: ZONE })}`, { signal }),
    [interval],
  );
  const periodTotals = new Map();
  for (const bucket of series.data?.results ?? [])
    for (const c of bucket.categories)
      periodTotals.set(c.category?.id ?? null, (periodTotals.get(c.category?.id ?? null) ?? 0) + c.count);
  const periodTotal = (series.data?.results ?? []).reduce((sum, b) => sum + b.total, 0);

  return html`<h1>Overview</h1>
    <${ErrorBox} error=${stats.error} />
    <section aria-busy=${stats.busy} aria-labelledby="totals">
      <h2 id="totals">Threads</h2>
      ${
        stats.data &&
        html`<ul class="cards">
            <li><span class="n" data-testid="total">${count(stats.data.total)}</span> threads in all</li>
            ${stats.data.results.map(
              (r) => html`<li><span class="n">${count(r.count)}</span> ${nameOf(r.category)}</li>`,
            )}
          </ul>
          <${Table}
            caption="Threads per category"
            head=${['Category', 'Threads (all time)', `Threads (chart period)`]}
            rows=${[
              ...stats.data.results.map((r) => ({
                key: r.category?.id ?? 'none',
                cells: [nameOf(r.category), count(r.count), count(periodTotals.get(r.category?.id ?? null) ?? 0)],
              })),
              { key: 'total', cells: [html`<strong>Total</strong>`, count(stats.data.total), count(periodTotal)] },
            ]}
          />`
      }
    </section>
    <section aria-busy=${series.busy} aria-labelledby="over-time">
      <h2 id="over-time">Threads over time</h2>
      <div class="filters">
        <${Field} as="select" label="Interval" value=${interval} onChange=${(e) => setPeriod(e.target.value)}>
          <option value="day">Day (last 30 days)</option>
          <option value="week">Week (last 12 weeks)</option>
          <option value="month">Month (last 12 months)</option>
        <//>
        <p class="muted">Time zone: ${ZONE}</p>
      </div>
      <${ErrorBox} error=${series.error} />
      ${series.data && html`<${Chart} series=${series.data} />`}
    </section>
    <${FeedbackSummary} />`;
}

/** Lines of threads per category per period; the table under it has the same numbers for screen readers. */
function Chart({ series }) {
  const box = useRef(null);
  useEffect(() => {
    const el = box.current;
    if (!el || series.results.length === 0) return undefined;
    const first = series.results[0].categories;
    const xs = series.results.map((b) => Date.parse(b.start) / 1000);
    const data = [xs, ...first.map((_, i) => series.results.map((b) => b.categories[i].count))];
    const lines = first.map((c, i) => ({
      label: nameOf(c.category),
      stroke: COLOURS[i % COLOURS.length],
      width: 2,
      points: { show: series.results.length < 40 },
    }));
    const size = () => ({ width: Math.max(260, el.clientWidth), height: el.clientWidth < 500 ? 220 : 300 });
    const plot = new uPlot(
      { ...size(), series: [{ label: 'Period' }, ...lines], axes: [{}, { label: 'Threads' }] },
      data,
      el,
    );
    const resize = new ResizeObserver(() => plot.setSize(size()));
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [series]);
  const unit = { day: 'Day', week: 'Week of', month: 'Month' }[series.interval];
  const label = (start) =>
    new Date(start).toLocaleDateString(
      undefined,
      series.interval === 'month' ? { year: 'numeric', month: 'short' } : {},
    );
  const names = series.results[0]?.categories.map((c) => nameOf(c.category)) ?? [];
  return html`<div
      class="chart"
      ref=${box}
      role="img"
      aria-label=${`Threads per category per ${series.interval}`}
    ></div>
    <details>
      <summary>The chart's numbers</summary>
      <${Table}
        caption=${`Threads per category per ${series.interval}`}
        head=${[unit, 'Total', ...names]}
        rows=${series.results.map((b) => ({
          key: b.start,
          cells: [label(b.start), count(b.total), ...b.categories.map((c) => count(c.count))],
        }))}
      />
    </details>`;
}

/** Reactions to the project's answers, as the API sums them. */
function FeedbackSummary() {
  const feedback = useLoad((signal) => projectApi('/feedback/stats', { signal }), []);
  const f = feedback.data;
  return html`<section aria-busy=${feedback.busy} aria-labelledby="feedback">
    <h2 id="feedback">Feedback</h2>
    <${ErrorBox} error=${feedback.error} />
    ${
      f &&
      html`<ul class="cards">
      <li><span class="n" data-testid="upvotes">${count(f.upvotes)}</span> upvotes</li>
      <li><span class="n" data-testid="downvotes">${count(f.downvotes)}</span> downvotes</li>
      <li><span class="n">${count(f.answers_with_feedback)}</span> ${`of ${count(f.answers)} answers reacted to`}</li>
    </ul>`
    }
  </section>`;
}
