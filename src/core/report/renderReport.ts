/**
 * The Node side of the report room: charts to files.
 *
 *   DiffResult → diffCharts → per chart: spec (.vl.json) → SVG (headless Vega) → PNG (resvg)
 *              → report.html (inline SVGs), written last
 *
 * Every file is written under a `.partial` name and renamed, and the page that links the others
 * comes last, so an interrupted run never leaves a report that looks complete. The folder is one
 * the tool may write into (outputFolder.ts), locked while the report is written.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Resvg, type ResvgRenderOptions } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { writeFileAtomicAsync } from '../atomicWrite';
import type { DiffResult } from '../diff/diffResult';
import { inputFolders } from '../diff/writeDiffJson';
import { prepareOutputFolder, type OutputKind, type SourceFolder } from '../outputFolder';
import { type Logger, silentLogger } from '../progress';
import { diffReportHtml, type ReportChart } from './diffReportHtml';
import { diffCharts } from './diffSpecs';

export const REPORT_HTML = 'report.html';

/** PNG exports are drawn at twice the SVG's size, sharp on high-density screens. */
export const PNG_SCALE = 2;

/**
 * Headless, an interactive selection (the layer brush) finds no `window` to listen on. Nobody can
 * interact with a static SVG, so that warning says nothing about the chart.
 */
const HEADLESS_EVENT_WARNING = /^Can not resolve event source: window$/;

/** Routes Vega and Vega-Lite warnings to the core's logger instead of the console. */
function vegaLogger(logger: Logger): vega.LoggerInterface {
  return vega.logger(vega.Warn, undefined, (method, _level, args) => {
    const message = args.map(String).join(' ');
    if (method === 'log') logger.info(message);
    else if (!HEADLESS_EVENT_WARNING.test(message)) logger.warn(message);
  });
}

/**
 * Renders a Vega-Lite spec to an SVG string without a browser or canvas. Text widths are then
 * estimated by Vega (0.8 em per character), which errs wide: layouts get a little extra room.
 */
export async function renderSvg(spec: TopLevelSpec, logger: Logger = silentLogger): Promise<string> {
  const log = vegaLogger(logger);
  const vegaSpec = compile(spec, { logger: log }).spec;
  const view = new vega.View(vega.parse(vegaSpec), { renderer: 'none', logger: log });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * resvg settings: system fonts, with DejaVu Sans (Debian: fonts-dejavu-core) standing in for the
 * generic families, since resvg's defaults (Arial, Times New Roman) are absent on Linux.
 */
export function resvgOptions(scale: number): ResvgRenderOptions {
  return {
    fitTo: { mode: 'zoom', value: scale },
    font: { loadSystemFonts: true, defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  };
}

/** Rasterizes an SVG to PNG bytes, `scale` times its own size. */
export function renderPng(svg: string, scale: number = PNG_SCALE): Buffer {
  return new Resvg(svg, resvgOptions(scale)).render().asPng();
}

/** Writes a report's files into `outDir`, the page last (a page left from an earlier run, which would link to the charts being replaced, is removed first). */
export async function writeReportFiles(
  outDir: string,
  output: { kind: OutputKind; sources: readonly SourceFolder[]; page: string },
  writeAll: (write: (name: string, data: string | Uint8Array) => Promise<void>) => Promise<string | Uint8Array>,
): Promise<{ files: string[] }> {
  const prepared = prepareOutputFolder(outDir, { kind: output.kind, sources: output.sources });
  try {
    await rm(join(prepared.dir, output.page), { force: true });
    const files: string[] = [];
    const write = async (name: string, data: string | Uint8Array) => {
      const path = join(prepared.dir, name);
      await writeFileAtomicAsync(path, data);
      files.push(path);
    };
    await write(output.page, await writeAll(write));
    return { files };
  } finally {
    prepared.release();
  }
}

/**
 * Writes every chart of `result` as `<id>.vl.json`, `<id>.svg` and `<id>.png` into `outDir`, then
 * `report.html`. Returns the paths written, the page last.
 */
export async function writeDiffReport(
  result: DiffResult,
  outDir: string,
  logger: Logger = silentLogger,
): Promise<{ files: string[] }> {
  return writeReportFiles(outDir, { kind: 'diff', sources: inputFolders(result.inputs), page: REPORT_HTML }, async (write) => {
    const charts: ReportChart[] = [];
    for (const chart of diffCharts(result)) {
      const names = { spec: `${chart.id}.vl.json`, svg: `${chart.id}.svg`, png: `${chart.id}.png` };
      const svg = await renderSvg(chart.spec, logger);
      await write(names.spec, JSON.stringify(chart.spec, null, 2) + '\n');
      await write(names.svg, svg);
      await write(names.png, renderPng(svg));
      charts.push({ id: chart.id, title: chart.title, description: chart.description, svg, files: names });
    }
    return diffReportHtml(result, charts);
  });
}
