import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffReportHtml, type ReportChart, TOP_LAYER_COUNT, TOP_TENSOR_COUNT } from '../../../src/core/report/diffReportHtml';
import { escapeHtml } from '../../../src/core/report/escapeHtml';
import { sampleDiffResult } from './sampleDiffResult';

const chart: ReportChart = {
  id: 'relative-update',
  title: 'Relative update per layer',
  description: 'A chart.',
  svg: '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"></svg>',
  files: { svg: 'relative-update.svg', png: 'relative-update.png', spec: 'relative-update.vl.json' },
};

/** The rows of the n-th table body, each as its cells' text. */
function tableRows(html: string, index: number): string[][] {
  const bodies = [...html.matchAll(/<tbody>(.*?)<\/tbody>/gs)].map((match) => match[1]);
  assert.ok(bodies[index] !== undefined, `table ${index} exists`);
  return [...bodies[index].matchAll(/<tr>(.*?)<\/tr>/gs)].map((row) =>
    [...row[1].matchAll(/<td[^>]*>(.*?)<\/td>/gs)].map((cell) => cell[1].replace(/<[^>]+>/g, '')),
  );
}

describe('escapeHtml', () => {
  it('escapes the five characters that can end text or an attribute', () => {
    assert.equal(escapeHtml(`<a href="x" title='y'>&</a>`), '&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
  });
});

describe('diffReportHtml', () => {
  it('shows the inputs and settings, with paths escaped', () => {
    const html = diffReportHtml(sampleDiffResult({ inPath: '/data/<b>in</b> & "co"' }), [chart]);
    assert.ok(html.includes('/data/&lt;b&gt;in&lt;/b&gt; &amp; &quot;co&quot;'));
    assert.ok(!html.includes('<b>in</b>'));
    const result = sampleDiffResult();
    for (const fact of ['Qwen2_5_VLForConditionalGeneration', 'rl'.padEnd(64, '0'), 'frankenlens 0.1.0', 'paper', escapeHtml(result.config.precision)]) {
      assert.ok(html.includes(fact), `page mentions ${fact}`);
    }
  });

  it('ranks the most-changed layers and tensors by relative update', () => {
    const html = diffReportHtml(sampleDiffResult(), [chart]);
    const layers = tableRows(html, 1);
    assert.equal(layers.length, TOP_LAYER_COUNT);
    // Unified layer 4 has the largest mean (2.6e-3), then 3 (2.1e-3) and 5 (1.9e-3).
    assert.deepEqual(layers.slice(0, 3).map((row) => row[0]), ['4', '3', '5']);
    assert.equal(layers[0][5], '0.0026');

    const tensors = tableRows(html, 2);
    assert.equal(tensors.length, TOP_TENSOR_COUNT);
    assert.equal(tensors[0][0], 'model.layers.3.attn.qkv.weight');
  });

  it('ranks only the tensors the inclusion rule keeps', () => {
    const result = sampleDiffResult();
    const top = result.tensors.find((tensor) => tensor.name === 'model.layers.3.attn.qkv.weight');
    assert.ok(top);
    top.included = false;
    top.rlDeltaRel = 1;
    const tensors = tableRows(diffReportHtml(result, [chart]), 2);
    assert.equal(tensors[0][0], 'model.layers.3.mlp.fc1.weight');
    assert.ok(!tensors.some((row) => row[0] === top.name));
  });

  it('has one inputs column per checkpoint, Base first', () => {
    const html = diffReportHtml(sampleDiffResult({ withBase: true }), [chart]);
    const paths = tableRows(html, 0).find((row) => row[0] === 'path');
    assert.deepEqual(paths, ['path', '/ckpt/qwen-base', '/ckpt/qwen-in', '/ckpt/qwen-rl']);
  });

  it('adds Base→IN columns only with a Base', () => {
    assert.ok(!diffReportHtml(sampleDiffResult(), [chart]).includes('Base→IN'));
    assert.ok(diffReportHtml(sampleDiffResult({ withBase: true }), [chart]).includes('mean rel. Δ Base→IN'));
  });

  it('links each chart’s exported files relatively', () => {
    const html = diffReportHtml(sampleDiffResult(), [chart]);
    for (const file of Object.values(chart.files)) assert.ok(html.includes(`href="${file}"`));
    assert.ok(html.includes(chart.svg));
  });
});
