import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultExportPath, exportBytes, exportFileName } from '../../src/host/chartExportFile';
import { layerResult, layerTensors } from '../../src/host/layerTensors';
import { sampleDiffResult } from '../core/report/sampleDiffResult';

describe('layerTensors', () => {
  it('lists every tensor of the layer, largest ‖ΔRL‖ first', () => {
    const result = sampleDiffResult({ withBase: true });
    const layer = result.layers.find((candidate) => candidate.section === 'llm')!.unifiedLayer;
    const answer = layerTensors(result, 7, layer);
    assert.equal(answer.type, 'layerTensors');
    assert.equal(answer.requestId, 7);
    assert.equal(answer.unifiedLayer, layer);
    assert.match(answer.layerName, /^model\.layers\.\d+$/);
    const expected = result.tensors.filter((tensor) => tensor.unifiedLayer === layer);
    assert.ok(expected.length > 1, 'the sample layer has several tensors');
    assert.deepEqual(new Set(answer.tensors.map((row) => row.name)), new Set(expected.map((tensor) => tensor.name)));
    const sizes = answer.tensors.map((row) => row.rlDeltaFro ?? Number.NEGATIVE_INFINITY);
    assert.deepEqual(sizes, [...sizes].sort((a, b) => b - a));
    const first = answer.tensors[0]!;
    const record = expected.find((tensor) => tensor.name === first.name)!;
    assert.deepEqual(first, {
      name: record.name,
      component: record.component,
      shape: record.shape,
      dtype: record.dtype,
      included: record.included,
      inFro: record.inFro,
      rlDeltaFro: record.rlDeltaFro,
      rlDeltaRel: record.rlDeltaRel,
      cosine: record.cosine,
      unchangedFraction: record.unchangedFraction,
      maxAbsDelta: record.maxAbsDelta,
    });
  });

  it('puts tensors without a norm last and answers an unknown layer with no rows', () => {
    const result = sampleDiffResult();
    const layer = result.tensors.find((tensor) => tensor.unifiedLayer !== null)!.unifiedLayer!;
    result.tensors.push({ ...result.tensors.find((tensor) => tensor.unifiedLayer === layer)!, name: 'aaa.int_tensor', rlDeltaFro: null });
    const rows = layerTensors(result, 0, layer).tensors;
    assert.equal(rows.at(-1)!.name, 'aaa.int_tensor');
    assert.deepEqual(layerTensors(result, 1, 999).tensors, []);
    assert.equal(layerTensors(result, 1, 999).layerName, '999');
  });

  it('layerResult drops the tensors and keeps the rest', () => {
    const result = sampleDiffResult();
    const trimmed = layerResult(result);
    assert.equal('tensors' in trimmed, false);
    assert.deepEqual(trimmed.layers, result.layers);
    assert.deepEqual(trimmed.partition, result.partition);
  });
});

describe('chart export files', () => {
  it('names the file after the chart and format', () => {
    assert.equal(exportFileName('relative-update', 'svg'), 'relative-update.svg');
    assert.equal(exportFileName('relative-update', 'png'), 'relative-update.png');
    assert.equal(exportFileName('component-heatmap', 'spec'), 'component-heatmap.vl.json');
    assert.equal(exportFileName('component-heatmap', 'data'), 'component-heatmap.data.json');
  });

  it('suggests the folder of diff.json, else the fallback, else a bare name', () => {
    const message = { chartId: 'relative-update', format: 'svg' } as const;
    assert.equal(defaultExportPath(message, '/w/.frankenlens/diff-a-vs-b/diff.json', '/w'), '/w/.frankenlens/diff-a-vs-b/relative-update.svg');
    assert.equal(defaultExportPath(message, null, '/w'), '/w/relative-update.svg');
    assert.equal(defaultExportPath(message, null, undefined), 'relative-update.svg');
  });

  it('decodes PNGs from base64 and writes text as UTF-8', () => {
    assert.deepEqual([...exportBytes({ format: 'png', content: Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64') })], [0x89, 0x50, 0x4e, 0x47]);
    assert.equal(Buffer.from(exportBytes({ format: 'svg', content: '<svg>‖Δ‖</svg>' })).toString('utf8'), '<svg>‖Δ‖</svg>');
  });
});
