/**
 * The demo study's front page: what was run on which checkpoints, links to each analysis's own
 * report, the probe and variant charts inline (SVG) and the variant comparison table. Self-contained, strict CSP, like the
 * other reports; every number on it comes from the result files it links to.
 */
import { escapeHtml } from './escapeHtml';

export const STUDY_INDEX_HTML = 'index.html';

export interface StudySection {
  title: string;
  /** What the analysis measures and what the demo planted, in a sentence or two. */
  summary: string;
  /** Relative links to the analysis's files (report, result JSON). */
  links: { label: string; href: string }[];
  charts: { title: string; svg: string }[];
  /** Tables shown after the charts (e.g. every variant × measure with intervals and paired tests). */
  tables?: { caption: string; columns: string[]; rows: string[][] }[];
}

export interface StudyPage {
  title: string;
  /** Shown first, as a warning: the demo's models are random, its numbers illustrate the pipeline only. */
  banner: string;
  facts: [string, string][];
  sections: StudySection[];
}

export function studyIndexHtml(page: StudyPage): string {
  const sections = page.sections
    .map(
      (section) => `<section>
<h2>${escapeHtml(section.title)}</h2>
<p>${escapeHtml(section.summary)}</p>
<ul>${section.links.map((link) => `<li><a href="${escapeHtml(link.href)}">${escapeHtml(link.label)}</a></li>`).join('')}</ul>
${section.charts.map((chart) => `<figure><figcaption>${escapeHtml(chart.title)}</figcaption>\n${chart.svg}</figure>`).join('\n')}
${(section.tables ?? []).map(tableHtml).join('\n')}
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(page.title)}</title>
<style>body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px;max-width:1100px;color:#1f2328}.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px}dt{font-weight:600;margin-top:6px}.table-scroll{overflow-x:auto}table{border-collapse:collapse;font-size:12px}caption{text-align:left;font-weight:600;padding:4px 0}th,td{border:1px solid #d0d7de;padding:2px 6px;white-space:nowrap}td{text-align:right}figure{margin:20px 0}section{margin-top:28px}</style>
</head>
<body>
<h1>${escapeHtml(page.title)}</h1>
<p class="banner">${escapeHtml(page.banner)}</p>
<dl>
${page.facts.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join('\n')}
</dl>
${sections}
</body>
</html>
`;
}

function tableHtml(table: NonNullable<StudySection['tables']>[number]): string {
  const head = `<tr>${table.columns.map((column) => `<th scope="col">${escapeHtml(column)}</th>`).join('')}</tr>`;
  const body = table.rows.map(([first = '', ...rest]) => `<tr><th scope="row">${escapeHtml(first)}</th>${rest.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`).join('\n');
  return `<div class="table-scroll"><table><caption>${escapeHtml(table.caption)}</caption>\n<thead>${head}</thead>\n<tbody>\n${body}\n</tbody></table></div>`;
}
