/** Probe chart specs: points equal the summary rows, IN and RL are both drawn, and every spec renders headless. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ablationRows, type AblationItem } from '../../../src/core/probes/layerAblation';
import { attentionRows, type AttentionItem } from '../../../src/core/probes/attentionToVision';
import { swapRows } from '../../../src/core/probes/visualSwap';
import type { SwapItem } from '../../../src/core/probes/visualSwap';
import { ablationCharts, attentionCharts, swapCharts, type ProbeChart, type ProbePoint } from '../../../src/core/report/probeSpecs';
import { renderSvg } from '../../../src/core/report/renderReport';

const points = (chart: ProbeChart) => (chart.spec as unknown as { datasets: { points: ProbePoint[] } }).datasets.points;
const measurement = (perLayer: number[]) => ({ perLayer, reasoningTokens: 3, scope: 'response' as const });

describe('probe chart specs', () => {
  it('draw the rows, IN and RL overlaid, and render', async () => {
    const attention: AttentionItem[] = [0, 1, 2].map((i) => ({
      key: `a${i}`, id: `a${i}`, imageTokens: 4, responses: { in: '', rl: '' },
      measurements: { own: { in: measurement([0.1, 0.2, 0.3]), rl: measurement([0.1 + i / 100, 0.25, 0.4]) }, shared: { in: measurement([0.1, 0.2, 0.3]), rl: measurement([0.12, 0.2, 0.35]) } },
    }));
    const ablation: AblationItem[] = (['in', 'rl'] as const).flatMap((model) => [0, 1].map((i) => ({
      key: `${model}:${i}`, model, id: `${i}`, runs: [-1, 0, 1, 2].map((layer) => ({ layer, response: '', tokens: 1, stoppedBy: 'eos' as const, extracted: null, correct: (layer + i) % 2 === 0, rule: '' })),
    })));
    const swap: SwapItem[] = (['in', 'rl'] as const).map((model) => ({
      key: `${model}:c`, model, id: 'c', task: 'counting', originalAnswer: '3', originalTokens: [], targetAnswer: '3', sourceAnswer: '10', visualTokens: 4,
      runs: [0, 1, 2].map((layer) => ({ mode: 'suffix' as const, decoding: 'corrected' as const, layer, answer: layer === 0 ? '10' : '3', tokens: [], changed: layer === 0, adoptsSource: layer === 0 })),
    }));
    const charts = [...attentionCharts(attentionRows(attention, 3)), ...ablationCharts(ablationRows(ablation)), ...swapCharts(swapRows(swap))];
    assert.deepEqual(charts.map((chart) => chart.id), ['attention-mass', 'attention-difference', 'ablation-accuracy', 'swap-change-suffix-corrected', 'swap-adoption-suffix-corrected']);
    const mass = points(charts[0]!);
    assert.deepEqual(mass.filter((point) => point.series === 'RL').map((point) => point.value.toFixed(4)), ['0.1100', '0.2500', '0.4000']);
    const change = points(charts[3]!);
    assert.deepEqual(change.map((point) => `${point.series}:${point.layer}:${point.value}`), ['IN:0:1', 'IN:1:0', 'IN:2:0', 'RL:0:1', 'RL:1:0', 'RL:2:0']);
    for (const id of [0, 2, 3]) assert.deepEqual([...new Set(points(charts[id]!).map((point) => point.series))], ['IN', 'RL']);
    for (const chart of charts) {
      const svg = await renderSvg(chart.spec);
      assert.match(svg, /^<svg/, chart.id);
    }
  });
});
