import {
  DEFINITIONS,
  INTERVAL_WORDS,
  periodLabel,
  projectRows,
  shortLabel,
  type ReportContent,
  type Row,
} from './format.js';

// Team, project, product and category names are the customers' own text: everything is escaped.
const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

// Mail clients ignore <style> blocks unevenly: inline styles only.
const CELL = 'padding:4px 10px;border-bottom:1px solid #e5e7eb;';
const NUMBER = `${CELL}text-align:right;white-space:nowrap;`;

function row(r: Row): string {
  if (r.heading) {
    return `<tr><td colspan="4" style="${CELL}font-weight:600;">${escape(r.label)}</td></tr>`;
  }
  const label = r.nested ? `<td style="${CELL}padding-left:26px;">` : `<td style="${CELL}">`;
  return (
    `<tr>${label}${escape(r.label)}</td><td style="${NUMBER}">${escape(r.current)}</td>` +
    `<td style="${NUMBER}color:#6b7280;">${escape(r.previous)}</td><td style="${NUMBER}">${escape(r.change)}</td></tr>`
  );
}

function projectTable(content: ReportContent, project: ReportContent['projects'][number]): string {
  const monthly = content.period.interval === 'MONTHLY';
  const head = ['', shortLabel(content.period, monthly), shortLabel(content.previous, monthly), 'Change']
    .map((h, i) => `<th style="${i === 0 ? `${CELL}text-align:left;` : NUMBER}">${escape(h)}</th>`)
    .join('');
  return (
    `<h2 style="font-size:17px;margin:28px 0 8px;">${escape(project.name)} ` +
    `<span style="color:#6b7280;font-weight:normal;">(${escape(project.product)})</span></h2>\n` +
    `<table style="border-collapse:collapse;font-size:14px;"><thead><tr>${head}</tr></thead>\n<tbody>\n` +
    projectRows(project).map(row).join('\n') +
    '\n</tbody></table>'
  );
}

export function renderHtml(content: ReportContent): string {
  const { adjective, before } = INTERVAL_WORDS[content.period.interval];
  const monthly = content.period.interval === 'MONTHLY';
  const title = `${adjective[0].toUpperCase()}${adjective.slice(1)} usage report`;
  const projects =
    content.projects.length === 0
      ? '<p>Your team has no projects yet.</p>'
      : content.projects.map((p) => projectTable(content, p)).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${escape(title)}</title></head>
<body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;color:#111827;max-width:680px;margin:0 auto;padding:16px;">
<h1 style="font-size:21px;">${escape(title)}: ${escape(content.teamName)}</h1>
<p>${content.recipientName ? `Hello ${escape(content.recipientName)},` : 'Hello,'}</p>
<p>This is the ${adjective} usage report of team <strong>${escape(content.teamName)}</strong> for
<strong>${escape(periodLabel(content.period, monthly))}</strong>, compared with ${before}
(${escape(periodLabel(content.previous, monthly))}).</p>
${projects}
<h2 style="font-size:15px;margin-top:32px;">How to read this report</h2>
${DEFINITIONS.map((d) => `<p style="font-size:13px;color:#374151;">${escape(d)}</p>`).join('\n')}
<p style="font-size:12px;color:#6b7280;">You receive this report because your digest interval is ${content.period.interval}.
Your administrator can change it or turn it off (digest_interval null).</p>
</body></html>
`;
}
