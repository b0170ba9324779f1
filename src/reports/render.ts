import { renderHtml } from './html.js';
import { DEFINITIONS, INTERVAL_WORDS, periodLabel, projectRows, shortLabel, type ReportContent } from './format.js';

export type { ReportContent } from './format.js';

export interface RenderedReport {
  subject: string;
  text: string;
  html: string;
}

/** Words wrapped at `width` columns: plain-text mail stays readable (and 7-bit) in any client. */
export function wrap(paragraph: string, width = 72, indent = ''): string {
  const lines: string[] = [];
  let line = '';
  for (const word of paragraph.split(/\s+/)) {
    if (line && line.length + 1 + word.length > width - indent.length) {
      lines.push(indent + line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(indent + line);
  return lines.join('\n');
}

function textTable(content: ReportContent, project: ReportContent['projects'][number]): string {
  const monthly = content.period.interval === 'MONTHLY';
  const header = {
    label: '',
    nested: false,
    current: shortLabel(content.period, monthly),
    previous: shortLabel(content.previous, monthly),
    change: 'Change',
  };
  const rows = [header, ...projectRows(project)];
  const label = (r: typeof header) => (r.nested ? `  ${r.label}` : r.label);
  const widths = {
    label: Math.max(...rows.map((r) => label(r).length)),
    current: Math.max(...rows.map((r) => r.current.length)),
    previous: Math.max(...rows.map((r) => r.previous.length)),
  };
  return rows
    .map((r) =>
      [
        label(r).padEnd(widths.label),
        r.current.padStart(widths.current),
        r.previous.padStart(widths.previous),
        r.change,
      ]
        .join('   ')
        .trimEnd(),
    )
    .join('\n');
}

export function renderText(content: ReportContent): string {
  const { adjective, before } = INTERVAL_WORDS[content.period.interval];
  const monthly = content.period.interval === 'MONTHLY';
  const intro = wrap(
    `This is the ${adjective} usage report of team ${content.teamName} for ${periodLabel(content.period, monthly)}, ` +
      `compared with ${before} (${periodLabel(content.previous, monthly)}).`,
  );
  const projects =
    content.projects.length === 0
      ? ['Your team has no projects yet.']
      : content.projects.map((p) => {
          const title = `${p.name} (${p.product})`;
          return `${title}\n${'-'.repeat(title.length)}\n${textTable(content, p)}`;
        });
  return (
    [
      content.recipientName ? `Hello ${content.recipientName},` : 'Hello,',
      intro,
      ...projects,
      'How to read this report\n-----------------------',
      ...DEFINITIONS.map((d) => wrap(d)),
      wrap(
        `You receive this report because your digest interval is ${content.period.interval}. ` +
          'Your administrator can change it or turn it off (digest_interval null).',
      ),
    ].join('\n\n') + '\n'
  );
}

export function renderReport(content: ReportContent): RenderedReport {
  const { adjective } = INTERVAL_WORDS[content.period.interval];
  const period = periodLabel(content.period, content.period.interval === 'MONTHLY');
  return {
    subject: `${content.teamName}: ${adjective} usage report, ${period}`,
    text: renderText(content),
    html: renderHtml(content),
  };
}
