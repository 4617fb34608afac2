/**
 * The demo study's front page: what was run on which checkpoints, links to each analysis's own
 * report, and the probe and variant charts inline (SVG). Self-contained, strict CSP, like the
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
</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(page.title)}</title>
<style>body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px;max-width:1100px;color:#1f2328}.banner{background:#fff8c5;border:1px solid #d4a72c;padding:8px 12px}dt{font-weight:600;margin-top:6px}figure{margin:20px 0}section{margin-top:28px}</style>
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
