import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { planFolderName } from '../../core/merge/mergePlan';
import { thirdsVariants } from '../../core/merge/presets';
import { throwIfCancelled, type CancelToken } from '../../core/progress';
import { renderSvg } from '../../core/report/renderReport';
import { STUDY_INDEX_HTML, studyIndexHtml, type StudySection } from '../../core/report/studyReport';
import { variantCharts } from '../../core/report/variantSpecs';
import { variantScoreTable, type VariantsSummary } from '../../core/variants/variantComparison';
import type { SweepRow } from '../../core/variants/variantMetrics';
import { qwenProcessorFiles, qwenSpecialTokenIds } from '../../core/synthetic/qwenProcessorFiles';
import { writeSyntheticBenchmark } from '../../core/synthetic/syntheticBenchmark';
import { DEMO_SHAPE, writeSyntheticCheckpoint, type PlantedUpdate } from '../../core/synthetic/syntheticQwenVl';
import { describeDiff, diffCommand } from './diffCommand';
import { mergeCommand } from './mergeCommand';
import { probeCommand } from './probeCommand';
import { describeSpectral, spectralCommand } from './spectralCommand';
import { variantsCommand } from './variantsCommand';

export const DEMO_USAGE = `frankenlens demo [--dir DIR] [--regenerate] [--weights-only] [--memory-budget SIZE]

The whole study on built-in synthetic checkpoints, in a few minutes: generates a small Qwen2.5-VL
Base/IN/RL triple (random weights, the RL update planted in HF decoder layers 6–11 of 12; labelled
synthetic in config.json, runnable: tokenizer and processor files included) and a generated
benchmark of shape questions, then runs the weight diff, the spectral analysis, the layer-ablation
and attention-to-vision probes and the six thirds variants' scores, writes the best variant as a
checkpoint (DIR/merges/), and writes DIR/report/index.html linking every result.
  --weights-only   stop after the diff (no model runs)
  --memory-budget SIZE   passed to the probes and the scoring (see "frankenlens probe --help")`;

/** Where the demo's RL update goes: HF layers 6..11 of 12, so the chart has a known answer. */
export const DEMO_RL_UPDATE: PlantedUpdate = { llmLayers: [6, 7, 8, 9, 10, 11], scale: 0.02, density: 0.7 };
/** SFT touched everything a little, vision blocks included. */
export const DEMO_BASE_OFFSET: PlantedUpdate = { llmLayers: [...Array(12).keys()], visionBlocks: [...Array(8).keys()], scale: 0.05 };
/** The random demo models never stop on their own; a short budget keeps the probes to seconds. */
const DEMO_MAX_NEW_TOKENS = '8';

export interface DemoResult {
  outDir: string;
  index: string;
  steps: { name: string; seconds: number; summary: string }[];
}

export async function demoCommand(argv: string[], cancel: CancelToken): Promise<DemoResult> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string', default: 'demo' }, regenerate: { type: 'boolean', default: false }, 'weights-only': { type: 'boolean', default: false }, 'memory-budget': { type: 'string' } }, strict: true });
  const budget = values['memory-budget'] === undefined ? [] : ['--memory-budget', values['memory-budget']];
  const dir = resolve(values.dir);
  const paths = { base: join(dir, 'checkpoints', 'base'), in: join(dir, 'checkpoints', 'in'), rl: join(dir, 'checkpoints', 'rl') };
  const seed = 20260212;
  let processorFiles: Record<string, string> | undefined;
  const generate = (path: string, extra: object) => {
    if (existsSync(path) && !values.regenerate) return;
    process.stderr.write(`demo: generating ${path}\n`);
    // Tokenizer and processor files make the checkpoints runnable (probes, scoring); learnt once.
    processorFiles ??= qwenProcessorFiles({ specialTokenIds: qwenSpecialTokenIds(DEMO_SHAPE.vocabSize), seed, minPixels: 3136, maxPixels: 12544 });
    writeSyntheticCheckpoint(path, { shape: DEMO_SHAPE, seed, dtype: 'BF16', overwrite: true, maxShardBytes: 8 * 2 ** 20, extraFiles: processorFiles, ...extra });
  };
  // IN is the seed weights; Base is IN minus an SFT-like offset; RL is IN plus the planted update.
  generate(paths.base, { baseOffset: DEMO_BASE_OFFSET });
  generate(paths.in, {});
  generate(paths.rl, { update: DEMO_RL_UPDATE });
  const benchmark = join(dir, 'benchmark');
  if (!existsSync(benchmark) || values.regenerate) writeSyntheticBenchmark(benchmark, { itemsPerKind: 4, seed });
  const items = join(benchmark, 'items.jsonl');

  const report = join(dir, 'report');
  // The study's results are the demo's own: a new run replaces them (the probes and the sweep refuse a folder holding a run).
  rmSync(report, { recursive: true, force: true });
  rmSync(join(dir, 'merges'), { recursive: true, force: true });
  const steps: DemoResult['steps'] = [];
  const sections: StudySection[] = [];
  const step = async (name: string, work: () => Promise<{ summary: string; section: StudySection }>) => {
    throwIfCancelled(cancel);
    process.stderr.write(`demo: ${name}\n`);
    const started = performance.now();
    const { summary, section } = await work();
    steps.push({ name, seconds: (performance.now() - started) / 1000, summary });
    sections.push(section);
  };
  const link = (label: string, file: string) => ({ label, href: relative(report, file) });

  await step('weight diff', async () => {
    const { result, outDir } = await diffCommand(['--in', paths.in, '--rl', paths.rl, '--base', paths.base, '--out', report, '--quiet'], cancel);
    return {
      summary: describeDiff(result),
      section: { title: 'Weight updates per layer', summary: 'Relative Frobenius norm of ΔRL = RL − IN and ΔIN = IN − Base per layer; the demo plants its RL update in HF decoder layers 6–11.', links: [link('report', join(outDir, 'report.html')), link('diff.json', join(outDir, 'diff.json'))], charts: [] },
    };
  });
  if (!values['weights-only']) {
    await step('spectral analysis', async () => {
      const outDir = join(report, 'spectral');
      const { result, files } = await spectralCommand(['--in', paths.in, '--rl', paths.rl, '--base', paths.base, '--out', outDir, '--quiet'], cancel);
      return {
        summary: describeSpectral(result),
        section: { title: 'Spectra of the updates', summary: 'Singular values of every included update matrix: stable and effective rank, spectral norm, per layer.', links: files.filter((file) => /\.(html|json)$/.test(file) && !file.endsWith('.vl.json')).map((file) => link(relative(outDir, file), file)), charts: [] },
      };
    });
    for (const probe of ['ablation', 'attention'] as const) {
      await step(`${probe} probe`, async () => {
        const outDir = join(report, 'probes');
        const { summaryPath, files } = await probeCommand([probe, '--in', paths.in, '--rl', paths.rl, '--items', items, '--out', outDir, '--max-new-tokens', DEMO_MAX_NEW_TOKENS, '--quiet', ...budget], cancel);
        const charts = [];
        for (const file of files.filter((path) => path.endsWith('.vl.json'))) {
          const spec = JSON.parse(readFileSync(file, 'utf8'));
          charts.push({ title: typeof spec.title === 'string' ? spec.title : relative(outDir, file), svg: await renderSvg(spec) });
        }
        const title = probe === 'ablation' ? 'Reasoning localization: accuracy per ablated layer' : 'Attention from the response to the image, per layer';
        const summary = probe === 'ablation' ? 'Each decoder layer replaced by the identity in turn, IN and RL, with Wilson intervals.' : 'Mean over heads of the attention mass from response tokens to image tokens, own and shared responses, RL − IN with bootstrap intervals.';
        return { summary: `${probe}: ${relative(dir, summaryPath)}`, section: { title, summary, links: [link(`${probe}.summary.json`, summaryPath)], charts } };
      });
    }
    let variantRows: SweepRow[] = [];
    await step('variant scores', async () => {
      const outDir = join(report, 'variants');
      const { summaryPath, rows } = await variantsCommand(['--in', paths.in, '--rl', paths.rl, '--items', items, '--out', outDir, '--thirds', '--max-new-tokens', DEMO_MAX_NEW_TOKENS, '--quiet', ...budget], cancel);
      variantRows = rows;
      const summary = JSON.parse(readFileSync(summaryPath, 'utf8')) as VariantsSummary;
      const charts = [];
      for (const chart of variantCharts(summary)) charts.push({ title: chart.title, svg: await renderSvg(chart.spec) });
      return {
        summary: rows.map((row) => `${row.model}: ${row.conditions.real!.overall.correct}/${row.conditions.real!.overall.total}`).join(', '),
        section: {
          title: 'IN, RL and the six Frankenstein variants on the benchmark',
          summary: 'Each variant takes early, mid or late decoder layers from RL into IN (or the reverse) and runs from the two checkpoints\' weights in place. Every model answers with the real image, a black image of the same size and the black image with the item\'s description: accuracy per condition and the paper\'s M_vis and M_v2r with Wilson intervals, and against IN McNemar\'s exact test and a paired bootstrap interval of the accuracy difference.',
          links: [link('variants.summary.json', summaryPath), link('variants.jsonl', join(outDir, 'variants.jsonl'))],
          charts,
          tables: [{ caption: 'Every model × measure, 95% bounds (Wilson; Δ vs IN: paired bootstrap)', ...variantScoreTable(summary) }],
        },
      };
    });
    await step('merge', async () => {
      // The sweep ran every variant from IN's and RL's files; the best one (by real-image accuracy,
      // the first on ties) is now written as an ordinary checkpoint by the merge writer.
      const variants = variantRows.filter((row) => row.kind !== 'checkpoint');
      const best = variants.reduce((top, row) => (row.conditions.real!.overall.accuracy > top.conditions.real!.overall.accuracy ? row : top));
      const plan = thirdsVariants(paths, DEMO_SHAPE.llmLayers).find((candidate) => candidate.name === best.model)!;
      const planFile = join(report, 'merge-plan.json');
      writeFileSync(planFile, `${JSON.stringify(plan, null, 2)}\n`);
      const outDir = join(dir, 'merges', planFolderName(plan));
      const written = await mergeCommand(['--plan', planFile, '--out', outDir, '--overwrite', '--quiet'], cancel);
      return {
        summary: written,
        section: {
          title: 'The best variant, written as a checkpoint',
          summary: `${plan.name} (real-image accuracy ${best.conditions.real!.overall.correct}/${best.conditions.real!.overall.total}, the first variant on ties) written by the merge writer from its plan: an ordinary Hugging Face folder to compare, probe or score like any other.`,
          links: [link('merge-plan.json', planFile), link('config.json', join(outDir, 'config.json'))],
          charts: [],
        },
      };
    });
  }

  const index = join(report, STUDY_INDEX_HTML);
  writeFileSync(
    index,
    studyIndexHtml({
      title: 'Frankenlens demo study',
      banner: 'Synthetic checkpoints with random weights and a planted RL update: the pipeline is real, the models are not. Probe and accuracy numbers of random models say nothing about real ones.',
      facts: [['IN', paths.in], ['RL', paths.rl], ['Base', paths.base], ['Benchmark', `${items} (generated)`], ['Steps', steps.map((done) => `${done.name} ${done.seconds.toFixed(1)} s`).join(' · ')]],
      sections,
    }),
  );
  return { outDir: report, index, steps };
}
