/**
 * The self-contained `report.html` of a diff: inputs, analysis settings, the charts as inline SVG,
 * and tables of the most-changed layers and tensors. Pure (a string from a result), so it can be
 * tested without a file system. No scripts and no remote loads: the page's own CSP forbids both,
 * and every piece of text from the result is escaped.
 */
import type { CheckpointSummary, DiffResult, LayerAggregate, TensorDiffRecord } from '../diff/diffResult';
import { BASE_SERIES, layerDisplayName, RL_SERIES } from './diffSpecs';
import { escapeHtml } from './escapeHtml';

export const TOP_LAYER_COUNT = 10;
export const TOP_TENSOR_COUNT = 20;

/** A chart as the page shows it: the rendered SVG plus the file names of its exports. */
export interface ReportChart {
  id: string;
  title: string;
  description: string;
  svg: string;
  files: { svg: string; png: string; spec: string };
}

/** Numbers as a reader compares them: 4 significant digits, exponent form for very small or large ones. */
function formatNumber(value: number | null): string {
  if (value === null) return '—';
  if (value === 0) return '0';
  const magnitude = Math.abs(value);
  return magnitude < 1e-3 || magnitude >= 1e5 ? value.toExponential(3) : String(Number(value.toPrecision(4)));
}

function formatPercent(fraction: number | null): string {
  return fraction === null ? '—' : `${(fraction * 100).toFixed(1)}%`;
}

function formatCount(count: number | null): string {
  return count === null ? '—' : count.toLocaleString('en-US');
}

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}

interface Column<Row> {
  header: string;
  numeric?: boolean;
  /** Already-escaped HTML of the cell. */
  cell(row: Row): string;
}

function table<Row>(columns: readonly Column<Row>[], rows: readonly Row[]): string {
  const head = columns.map((column) => `<th${column.numeric ? ' class="num"' : ''}>${escapeHtml(column.header)}</th>`).join('');
  const body = rows
    .map((row) => `<tr>${columns.map((column) => `<td${column.numeric ? ' class="num"' : ''}>${column.cell(row)}</td>`).join('')}</tr>`)
    .join('\n');
  return `<div class="table-scroll"><table>\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table></div>`;
}

const text = (value: string | number | null) => escapeHtml(value === null ? '—' : String(value));
const code = (value: string | null) => (value === null ? '—' : `<code>${escapeHtml(value)}</code>`);
/** Tensor and layer names stay on one line: broken anywhere they no longer read as names. */
const name = (value: string) => `<code class="name">${escapeHtml(value)}</code>`;

interface CheckpointFact {
  label: string;
  cell(summary: CheckpointSummary): string;
}

/** One column per checkpoint (Base, IN, RL) and one row per fact, so that long paths get the width. */
function inputsTable(result: DiffResult): string {
  const checkpoints = [result.inputs.base, result.inputs.in, result.inputs.rl].filter(
    (summary): summary is CheckpointSummary => summary !== undefined,
  );
  const roleLabels: Record<CheckpointSummary['role'], string> = { base: 'Base', in: 'IN (SFT)', rl: 'RL' };
  const dtypes = (summary: CheckpointSummary) =>
    Object.entries(summary.dtypes)
      .map(([dtype, count]) => `${dtype} × ${count}`)
      .join(', ');
  const facts: CheckpointFact[] = [
    { label: 'path', cell: (summary) => code(summary.path) },
    { label: 'architecture', cell: (summary) => text(summary.architecture) },
    { label: 'model type', cell: (summary) => text(summary.modelType) },
    { label: 'config.json sha256', cell: (summary) => code(summary.configSha256) },
    { label: 'tensor names', cell: (summary) => text(summary.namingScheme) },
    { label: 'LLM layers', cell: (summary) => text(summary.llmLayers) },
    { label: 'vision blocks', cell: (summary) => text(summary.visionDepth) },
    { label: 'stored dtypes', cell: (summary) => text(dtypes(summary)) },
    { label: 'parameters', cell: (summary) => text(formatCount(summary.parameterCount)) },
    { label: 'size', cell: (summary) => text(formatBytes(summary.totalBytes)) },
  ];
  const columns: Column<CheckpointFact>[] = [
    { header: '', cell: (fact) => `<strong>${escapeHtml(fact.label)}</strong>` },
    ...checkpoints.map((summary) => ({ header: roleLabels[summary.role], cell: (fact: CheckpointFact) => fact.cell(summary) })),
  ];
  return table(columns, facts);
}

function settingsList(result: DiffResult): string {
  const { partition, config } = result;
  const regionCuts = partition.regionCuts
    ? `early [0, ${partition.regionCuts[0]}), middle [${partition.regionCuts[0]}, ${partition.regionCuts[1]}), late [${partition.regionCuts[1]}, ${partition.llmLayers ?? 'n'}) (HF 0-based)`
    : null;
  const entries: [string, string][] = [
    ['Tool', text(`${result.tool.name} ${result.tool.version} (Node ${result.tool.node})`)],
    ['Created', text(result.createdAt)],
    ['Inclusion rule', `${code(config.inclusionRule.id)} ${text(config.inclusionRule.description)}`],
    ['Unified layer index', text(partition.unifiedIndex)],
    ['Partition', text(`${partition.llmLayers ?? '—'} LLM layers, ${partition.visionDepth ?? '—'} vision blocks`)],
    ['LLM regions', text(regionCuts)],
    ['Aggregation', text(config.aggregation)],
    ['Tensors compared', text(formatCount(result.tensors.length))],
    ['Run time', text(`${result.timing.seconds.toFixed(1)} s, ${formatBytes(result.timing.bytesRead)} read`)],
  ];
  return `<dl>\n${entries.map(([term, value]) => `<dt>${escapeHtml(term)}</dt><dd>${value}</dd>`).join('\n')}\n</dl>`;
}

function topLayersTable(result: DiffResult): string {
  const hasBase = result.inputs.base !== undefined;
  const rows = [...result.layers].sort((a, b) => b.rlDeltaRelMean - a.rlDeltaRelMean).slice(0, TOP_LAYER_COUNT);
  const columns: Column<LayerAggregate>[] = [
    { header: 'unified layer', numeric: true, cell: (layer) => text(layer.unifiedLayer) },
    { header: 'layer', cell: (layer) => name(layerDisplayName(layer, result.partition.visionDepth)) },
    { header: 'HF layer', numeric: true, cell: (layer) => text(layer.hfLayer) },
    { header: 'section', cell: (layer) => text(layer.section) },
    { header: 'tensors', numeric: true, cell: (layer) => text(layer.tensorCount) },
    { header: `mean rel. Δ ${RL_SERIES}`, numeric: true, cell: (layer) => text(formatNumber(layer.rlDeltaRelMean)) },
  ];
  if (hasBase) {
    columns.push(
      { header: `mean rel. Δ ${BASE_SERIES}`, numeric: true, cell: (layer) => text(formatNumber(layer.inDeltaRelMean)) },
      { header: 'mean cosine', numeric: true, cell: (layer) => text(formatNumber(layer.cosineMean)) },
    );
  }
  columns.push({ header: 'unchanged', numeric: true, cell: (layer) => text(formatPercent(layer.unchangedFraction)) });
  return table(columns, rows);
}

function topTensorsTable(result: DiffResult): string {
  const hasBase = result.inputs.base !== undefined;
  // Only the tensors the analysis is about: excluded ones are mostly biases, whose tiny norms make
  // their relative updates large and crowd out the weight matrices. A null relative update
  // (integer tensor, or ‖W_IN‖ = 0) has no rank.
  const rows = result.tensors
    .filter((tensor): tensor is TensorDiffRecord & { rlDeltaRel: number } => tensor.included && tensor.rlDeltaRel !== null)
    .sort((a, b) => b.rlDeltaRel - a.rlDeltaRel)
    .slice(0, TOP_TENSOR_COUNT);
  const columns: Column<TensorDiffRecord>[] = [
    { header: 'tensor', cell: (tensor) => name(tensor.name) },
    { header: 'unified layer', numeric: true, cell: (tensor) => text(tensor.unifiedLayer) },
    { header: 'section', cell: (tensor) => text(tensor.section) },
    { header: 'component', cell: (tensor) => text(tensor.component) },
    { header: 'shape', cell: (tensor) => text(`[${tensor.shape.join(', ')}]`) },
    { header: 'dtype', cell: (tensor) => text(tensor.dtype) },
    { header: `rel. Δ ${RL_SERIES}`, numeric: true, cell: (tensor) => text(formatNumber(tensor.rlDeltaRel)) },
    { header: '‖ΔW‖', numeric: true, cell: (tensor) => text(formatNumber(tensor.rlDeltaFro)) },
  ];
  if (hasBase) {
    columns.push(
      { header: `rel. Δ ${BASE_SERIES}`, numeric: true, cell: (tensor) => text(formatNumber(tensor.inDeltaRel)) },
      { header: 'cosine', numeric: true, cell: (tensor) => text(formatNumber(tensor.cosine)) },
    );
  }
  columns.push(
    { header: 'unchanged', numeric: true, cell: (tensor) => text(formatPercent(tensor.unchangedFraction)) },
  );
  return table(columns, rows);
}

function chartFigure(chart: ReportChart): string {
  const links = [
    `<a href="${escapeHtml(chart.files.svg)}">SVG</a>`,
    `<a href="${escapeHtml(chart.files.png)}">PNG</a>`,
    `<a href="${escapeHtml(chart.files.spec)}">Vega-Lite spec</a>`,
  ].join(' · ');
  // The SVG is Vega's own output, whose text nodes Vega escapes; it is inserted as markup.
  return `<figure id="${escapeHtml(chart.id)}" aria-label="${escapeHtml(chart.title)}">
${chart.svg}
<figcaption>${escapeHtml(chart.description)} <span class="files">${links}</span></figcaption>
</figure>`;
}

const STYLE = `
:root { color-scheme: light; }
body { font: 14px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; color: #1f2328; background: #ffffff; margin: 0; }
main { max-width: 1180px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #d0d7de; padding-bottom: 4px; }
.lede { color: #57606a; margin: 0 0 16px; }
code { font: 12px/1.4 "DejaVu Sans Mono", ui-monospace, Menlo, Consolas, monospace; overflow-wrap: anywhere; }
code.name { white-space: nowrap; overflow-wrap: normal; }
.table-scroll { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid #eaeef2; padding: 4px 10px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
tbody tr:nth-child(even) { background: #fafbfc; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 16px; margin: 8px 0; }
dt { font-weight: 600; }
dd { margin: 0; }
figure { margin: 24px 0; }
figure svg { max-width: 100%; height: auto; }
figcaption { color: #57606a; font-size: 13px; max-width: 820px; }
.files { white-space: nowrap; margin-left: 8px; }
.note { background: #f6f8fa; border-left: 3px solid #8c959f; padding: 8px 12px; }
`;

/** The whole page. `charts` carry their rendered SVGs and the names of the files written beside the page. */
export function diffReportHtml(result: DiffResult, charts: readonly ReportChart[]): string {
  const base = result.inputs.base;
  const lede = `${base ? `Base ${code(base.path)} → ` : ''}IN ${code(result.inputs.in.path)} → RL ${code(result.inputs.rl.path)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Frankenlens: what RL changed in ${result.inputs.rl.path}`)}</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<h1>What RL changed</h1>
<p class="lede">${lede}</p>

<h2>Inputs</h2>
${inputsTable(result)}

<h2>Analysis</h2>
${settingsList(result)}
<p class="note"><strong>Precision.</strong> ${escapeHtml(result.config.precision)}</p>

<h2>Charts</h2>
${charts.map(chartFigure).join('\n')}

<h2>Most-changed layers</h2>
<p>The ${TOP_LAYER_COUNT} layers with the largest mean relative update ${escapeHtml(RL_SERIES)}.</p>
${topLayersTable(result)}

<h2>Most-changed tensors</h2>
<p>The ${TOP_TENSOR_COUNT} tensors with the largest relative update ${escapeHtml(RL_SERIES)}, ‖W_RL − W_IN‖ / ‖W_IN‖, among those the inclusion rule ${code(result.config.inclusionRule.id)} keeps.</p>
${topTensorsTable(result)}
</main>
</body>
</html>
`;
}
