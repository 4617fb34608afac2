import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { Resvg } from '@resvg/resvg-js';
import { diffCharts, relativeUpdateSpec } from '../../../src/core/report/diffSpecs';
import { REPORT_HTML, renderPng, renderSvg, resvgOptions, writeDiffReport } from '../../../src/core/report/renderReport';
import type { DiffResult } from '../../../src/core/diff/diffResult';
import { OUTPUT_MARKER } from '../../../src/core/outputFolder';
import type { Logger } from '../../../src/core/progress';
import { LAYER_VALUES, sampleDiffResult } from './sampleDiffResult';

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** The `<path>` items Vega drew for the named symbol mark (Vega-Lite names it `<layer name>_marks`). */
function symbolCount(svg: string, layerName: string): number {
  const group = new RegExp(`<g class="mark-symbol role-mark ${layerName}_marks"[^>]*>(.*?)</g>`, 's').exec(svg);
  assert.ok(group, `symbol group of ${layerName} in the SVG`);
  return (group[1].match(/<path/g) ?? []).length;
}

function svgSize(svg: string): { width: number; height: number } {
  const match = /^<svg[^>]* width="(\d+)" height="(\d+)"/.exec(svg);
  assert.ok(match, 'the SVG states its size');
  return { width: Number(match[1]), height: Number(match[2]) };
}

describe('renderSvg', () => {
  it('draws one point per layer, and both series with a Base', async () => {
    assert.equal(symbolCount(await renderSvg(relativeUpdateSpec(sampleDiffResult())), 'seriesPoints'), LAYER_VALUES.length);
    const withBase = await renderSvg(relativeUpdateSpec(sampleDiffResult({ withBase: true })));
    assert.equal(symbolCount(withBase, 'seriesPoints'), 2 * LAYER_VALUES.length);
  });

  it('leaves the layers without change off the log scale', async () => {
    const svg = await renderSvg(relativeUpdateSpec(sampleDiffResult(), { logScale: true }));
    const zeroLayers = LAYER_VALUES.filter((values) => values.rlDeltaRelMean <= 0).length;
    assert.equal(symbolCount(svg, 'seriesPoints'), LAYER_VALUES.length - zeroLayers);
  });

  it('renders the titles, section labels and legend as text', async () => {
    const svg = await renderSvg(relativeUpdateSpec(sampleDiffResult({ withBase: true })));
    for (const label of ['Relative update per layer', 'vision encoder', 'projector', 'LLM decoder', 'unified layer', 'IN→RL', 'Base→IN']) {
      assert.ok(svg.includes(label), `SVG contains "${label}"`);
    }
  });

  it('renders the report’s charts without any warning', async () => {
    const warnings: string[] = [];
    const logger: Logger = { info() {}, warn: (message) => warnings.push(message) };
    for (const chart of diffCharts(sampleDiffResult({ withBase: true }))) await renderSvg(chart.spec, logger);
    assert.deepEqual(warnings, []);
  });

  it('sends Vega-Lite warnings to the logger', async () => {
    const warnings: string[] = [];
    const logger: Logger = { info() {}, warn: (message) => warnings.push(message) };
    await renderSvg(
      { data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative', aggregate: 'no-such-op' as 'sum' } } },
      logger,
    );
    assert.equal(warnings.length, 1);
    assert.match(warnings[0], /no-such-op/);
  });
});

describe('renderPng', () => {
  it('writes a PNG scale times the SVG’s width', async () => {
    const svg = await renderSvg(relativeUpdateSpec(sampleDiffResult()));
    const png = renderPng(svg, 2);
    assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
    // IHDR is the first chunk: width and height are big-endian at bytes 16 and 20.
    assert.equal(png.readUInt32BE(16), 2 * svgSize(svg).width);
    assert.equal(png.readUInt32BE(20), 2 * svgSize(svg).height);
  });

  it('finds a font for chart text (needs a system font such as Debian’s fonts-dejavu-core)', () => {
    const svg =
      '<svg xmlns="http://www.w3.org/2000/svg" width="200" height="40"><rect width="200" height="40" fill="#fff"/>' +
      '<text x="10" y="28" font-family="sans-serif" font-size="20" fill="#000">Frankenlens</text></svg>';
    const pixels = new Resvg(svg, resvgOptions(1)).render().pixels;
    let darkPixels = 0;
    for (let index = 0; index < pixels.length; index += 4) if (pixels[index] < 128) darkPixels += 1;
    assert.ok(darkPixels > 50, `glyphs were drawn (${darkPixels} dark pixels)`);
  });
});

describe('writeDiffReport', () => {
  let outDir: string;
  beforeEach(() => {
    outDir = mkdtempSync(join(tmpdir(), 'frankenlens-report-'));
  });
  afterEach(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('writes spec, SVG and PNG of every chart, then the page, and nothing partial', async () => {
    const result = sampleDiffResult({ withBase: true });
    const { files } = await writeDiffReport(result, join(outDir, 'report'));
    const charts = diffCharts(result);
    const expected = [...charts.flatMap((chart) => [`${chart.id}.vl.json`, `${chart.id}.svg`, `${chart.id}.png`]), REPORT_HTML];
    assert.deepEqual(files.map((file) => basename(file)), expected);
    assert.deepEqual(readdirSync(join(outDir, 'report')).sort(), [OUTPUT_MARKER, ...expected].sort(), 'the charts, the page and the marker of a folder the tool wrote');
    for (const chart of charts) {
      const spec: unknown = JSON.parse(readFileSync(join(outDir, 'report', `${chart.id}.vl.json`), 'utf8'));
      assert.deepEqual(spec, chart.spec);
    }
  });

  it('removes an earlier page first, so a failed run leaves no page over mismatched charts', async () => {
    await writeDiffReport(sampleDiffResult(), outDir);
    writeFileSync(join(outDir, REPORT_HTML), 'earlier run');
    const broken = { ...sampleDiffResult(), layers: undefined } as unknown as DiffResult;
    await assert.rejects(writeDiffReport(broken, outDir));
    assert.ok(!existsSync(join(outDir, REPORT_HTML)));
  });

  it('still writes a report for a result without any layer', async () => {
    const result = sampleDiffResult();
    result.layers = [];
    result.tensors = [];
    const { files } = await writeDiffReport(result, outDir);
    assert.equal(basename(files[files.length - 1]), REPORT_HTML);
  });

  it('inlines every chart’s SVG into a page that loads nothing', async () => {
    const result = sampleDiffResult({ inPath: '/ckpt/"><img src=x onerror=alert(1)>' });
    await writeDiffReport(result, outDir);
    const html = readFileSync(join(outDir, REPORT_HTML), 'utf8');
    for (const chart of diffCharts(result)) {
      const svg = readFileSync(join(outDir, `${chart.id}.svg`), 'utf8');
      assert.ok(html.includes(svg), `${chart.id}.svg is inline`);
    }
    assert.doesNotMatch(html, /<script/i);
    assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    assert.doesNotMatch(html, /url\(\s*["']?(?!#)|@import/i, 'CSS and SVG references stay inside the page');
    assert.doesNotMatch(html, /<img/i);
    assert.ok(html.includes('&lt;img src=x onerror=alert(1)&gt;'));
    assert.ok(!existsSync(join(outDir, `${REPORT_HTML}.partial`)));
  });

  it('keeps element ids unique across the inlined charts', async () => {
    // Vega numbers clip paths and gradients per process; two charts sharing an id would
    // make one chart's url(#…) point at the other's definition.
    await writeDiffReport(sampleDiffResult({ withBase: true }), outDir);
    const html = readFileSync(join(outDir, REPORT_HTML), 'utf8');
    const ids = [...html.matchAll(/\sid="([^"]+)"/g)].map((match) => match[1]);
    assert.ok(ids.some((id) => id.startsWith('clip')), 'the charts define clip paths');
    assert.equal(new Set(ids).size, ids.length);
  });
});
