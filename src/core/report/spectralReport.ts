/**
 * The spectral analysis as files: every chart as `.vl.json`, `.svg` and `.png`, then a
 * self-contained `spectral-report.html` (inline SVGs, no scripts, strict CSP), written last under
 * a temporary name so an interrupted run never leaves a page that looks complete.
 */
import { inputFolders } from '../diff/writeDiffJson';
import type { SpectralResult } from '../spectral/spectralResult';
import { escapeHtml } from './escapeHtml';
import { renderPng, renderSvg, writeReportFiles } from './renderReport';
import { layerDisplayName } from './diffSpecs';
import { spectralCharts } from './spectralSpecs';

export const SPECTRAL_REPORT_HTML = 'spectral-report.html';

const number = (value: number) => (value === 0 ? '0' : Math.abs(value) < 1e-3 || Math.abs(value) >= 1e5 ? value.toExponential(3) : String(Number(value.toPrecision(4))));

export function spectralReportHtml(result: SpectralResult, charts: readonly { title: string; description: string; svg: string }[]): string {
  const { config } = result;
  const settings: [string, string][] = [
    ['Tool', `${result.tool.name} ${result.tool.version} (Node ${result.tool.node})`],
    ['Created', result.createdAt],
    ['Inputs', [result.inputs.base?.path, result.inputs.in.path, result.inputs.rl.path].filter(Boolean).join(' → ')],
    ['Inclusion rule', `${config.inclusionRule.id}: ${config.inclusionRule.description}`],
    ['Mode', `${config.mode} (auto: exact when rows·cols·min(rows, cols) ≤ ${config.exactMaxWork}); top-k ${config.topK}; tolerance ${config.tolerance}; seed ${config.seed}`],
    ['Products', config.kernel ? `${config.kernel.name}${config.kernel.timings.length ? ` (timed: ${config.kernel.timings.map((t) => `${t.kernel} ${t.seconds.toFixed(3)} s`).join(', ')})` : ''}` : 'none (every matrix exact)'],
    ['Metrics', config.metrics],
    ['Error bars', config.errorBars],
    ['Flattening', config.flattening],
    ['Precision', config.precision],
    ['Aggregation', config.aggregation],
    ['Run time', `${result.timing.seconds.toFixed(1)} s`],
  ];
  const rows = result.layers
    .map((layer) => {
      const cells = [layerDisplayName(layer, result.partition.visionDepth), String(layer.unifiedLayer), String(layer.tensorCount), number(layer.rl.spectralNorm), number(layer.rl.stableRank), number(layer.rl.effectiveRank), number(layer.rl.logVolume), layer.in ? number(layer.in.stableRank) : '—', layer.in ? number(layer.in.effectiveRank) : '—'];
      return `<tr>${cells.map((cell) => `<td>${escapeHtml(cell)}</td>`).join('')}</tr>`;
    })
    .join('\n');
  const header = ['layer', 'unified', 'matrices', 'σ₁ ΔRL', 'stable rank ΔRL', 'effective rank ΔRL', 'log-volume ΔRL', 'stable rank ΔIN', 'effective rank ΔIN'];
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Frankenlens spectral analysis</title>
<style>body{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif;margin:24px;max-width:1100px;color:#1f2328}dt{font-weight:600;margin-top:6px}td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #eaeef2}figure{margin:24px 0}</style>
</head>
<body>
<h1>Spectral analysis of the weight updates</h1>
<dl>
${settings.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${escapeHtml(value)}</dd>`).join('\n')}
</dl>
${charts.map((chart) => `<figure><figcaption><strong>${escapeHtml(chart.title)}</strong>: ${escapeHtml(chart.description)}</figcaption>\n${chart.svg}</figure>`).join('\n')}
<h2>Per-layer means</h2>
<table>
<thead><tr>${header.map((cell) => `<th>${escapeHtml(cell)}</th>`).join('')}</tr></thead>
<tbody>
${rows}
</tbody>
</table>
</body>
</html>
`;
}

export async function writeSpectralReport(result: SpectralResult, outDir: string): Promise<{ files: string[] }> {
  return writeReportFiles(outDir, { kind: 'spectral', sources: inputFolders(result.inputs), page: SPECTRAL_REPORT_HTML }, async (write) => {
    const rendered: { title: string; description: string; svg: string }[] = [];
    for (const chart of spectralCharts(result)) {
      const svg = await renderSvg(chart.spec);
      await write(`${chart.id}.vl.json`, JSON.stringify(chart.spec, null, 2) + '\n');
      await write(`${chart.id}.svg`, svg);
      await write(`${chart.id}.png`, renderPng(svg));
      rendered.push({ title: chart.title, description: chart.description, svg });
    }
    return spectralReportHtml(result, rendered);
  });
}
