/**
 * The whole study on built-in synthetic checkpoints as one job: a small Qwen2.5-VL Base/IN/RL triple
 * and a generated benchmark, then the diff, the spectra, the ablation and attention probes, the six
 * thirds variants' scores, the best variant written as a checkpoint, and a page linking every result.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { writeFileAtomic, writeJsonAtomic } from '../atomicWrite';
import { planFolderName } from '../merge/mergePlan';
import { prepareOutputFolder, removeOutputFolder } from '../outputFolder';
import { thirdsVariants } from '../merge/presets';
import { throwIfCancelled } from '../progress';
import { renderSvg } from '../report/renderReport';
import { STUDY_INDEX_HTML, studyIndexHtml, type StudySection } from '../report/studyReport';
import { variantCharts } from '../report/variantSpecs';
import { qwenProcessorFiles, qwenSpecialTokenIds } from '../synthetic/qwenProcessorFiles';
import { writeSyntheticBenchmark } from '../synthetic/syntheticBenchmark';
import { DEMO_SHAPE, writeSyntheticCheckpoint, type PlantedUpdate } from '../synthetic/syntheticQwenVl';
import { variantScoreTable, type VariantsSummary } from '../variants/variantComparison';
import type { SweepRow } from '../variants/variantMetrics';
import { describeDiff, runDiffJob } from './diffJob';
import { stepContext, type JobContext } from './jobContext';
import type { DemoJob, DemoJobResult, RuntimeChoice } from './jobProtocol';
import { runMergeJob } from './mergeJob';
import { runProbeJob } from './probeJob';
import { runSpectralJob } from './spectralJob';
import { runVariantsJob } from './variantsJob';

/** Where the demo's RL update goes: HF layers 6..11 of 12, so the chart has a known answer. */
export const DEMO_RL_UPDATE: PlantedUpdate = { llmLayers: [6, 7, 8, 9, 10, 11], scale: 0.02, density: 0.7 };
/** SFT touched everything a little, vision blocks included. */
export const DEMO_BASE_OFFSET: PlantedUpdate = { llmLayers: [...Array(12).keys()], visionBlocks: [...Array(8).keys()], scale: 0.05 };
/** The random demo models never stop on their own; a short budget keeps the probes to seconds. */
const DEMO_MAX_NEW_TOKENS = 8;
const DEMO_SEED = 20260212;
const DEMO_RUNTIME: RuntimeChoice = { executionProvider: 'auto', intraOpThreads: 0 };

/** Each step's share of the progress bar (about its share of the time on the demo models). */
const STEP_WEIGHTS = { 'weight diff': 0.08, 'spectral analysis': 0.12, 'ablation probe': 0.3, 'attention probe': 0.15, 'variant scores': 0.3, merge: 0.05 } as const;
type StepName = keyof typeof STEP_WEIGHTS;

export async function runDemoJob(job: DemoJob, context: JobContext): Promise<DemoJobResult> {
  const dir = resolve(job.dir);
  const paths = { base: join(dir, 'checkpoints', 'base'), in: join(dir, 'checkpoints', 'in'), rl: join(dir, 'checkpoints', 'rl') };
  let processorFiles: Record<string, string> | undefined;
  const generate = (path: string, extra: object) => {
    if (existsSync(path) && !job.regenerate) return;
    context.log(`generating ${path}`);
    // Tokenizer and processor files make the checkpoints runnable (probes, scoring); learnt once.
    processorFiles ??= qwenProcessorFiles({ specialTokenIds: qwenSpecialTokenIds(DEMO_SHAPE.vocabSize), seed: DEMO_SEED, minPixels: 3136, maxPixels: 12544 });
    writeSyntheticCheckpoint(path, { shape: DEMO_SHAPE, seed: DEMO_SEED, dtype: 'BF16', overwrite: true, maxShardBytes: 8 * 2 ** 20, extraFiles: processorFiles, ...extra });
  };
  // IN is the seed weights; Base is IN minus an SFT-like offset; RL is IN plus the planted update.
  generate(paths.base, { baseOffset: DEMO_BASE_OFFSET });
  generate(paths.in, {});
  generate(paths.rl, { update: DEMO_RL_UPDATE });
  const benchmark = join(dir, 'benchmark');
  if (!existsSync(benchmark) || job.regenerate) writeSyntheticBenchmark(benchmark, { itemsPerKind: 4, seed: DEMO_SEED });
  const items = join(benchmark, 'items.jsonl');

  const report = join(dir, 'report');
  // The study's results are the demo's own: a new run replaces them (the probes and the sweep refuse a
  // folder holding a run). Only folders frankenlens wrote (marked) are removed.
  removeOutputFolder(report);
  removeOutputFolder(join(dir, 'merges'));
  const stepNames: StepName[] = job.weightsOnly ? ['weight diff'] : (Object.keys(STEP_WEIGHTS) as StepName[]);
  const totalWeight = stepNames.reduce((sum, name) => sum + STEP_WEIGHTS[name], 0);
  const steps: DemoJobResult['steps'] = [];
  const sections: StudySection[] = [];
  let done = 0;
  const step = async (name: StepName, work: (step: JobContext) => Promise<{ summary: string; section: StudySection }>) => {
    throwIfCancelled(context.cancel);
    context.log(name);
    const from = done / totalWeight;
    done += STEP_WEIGHTS[name];
    const started = performance.now();
    const { summary, section } = await work(stepContext(context, name, from, done / totalWeight));
    steps.push({ name, seconds: (performance.now() - started) / 1000, summary });
    sections.push(section);
  };
  const link = (label: string, file: string) => ({ label, href: relative(report, file) });
  const budget = { memoryBudget: job.memoryBudget, runtime: DEMO_RUNTIME };

  await step('weight diff', async (stepJob) => {
    const { result } = await runDiffJob({ kind: 'diff', inDir: paths.in, rlDir: paths.rl, baseDir: paths.base, outDir: report }, stepJob);
    return {
      summary: describeDiff(result),
      section: { title: 'Weight updates per layer', summary: 'Relative Frobenius norm of ΔRL = RL − IN and ΔIN = IN − Base per layer; the demo plants its RL update in HF decoder layers 6–11.', links: [link('report', join(report, 'report.html')), link('diff.json', join(report, 'diff.json'))], charts: [] },
    };
  });
  if (!job.weightsOnly) {
    await step('spectral analysis', async (stepJob) => {
      const outDir = join(report, 'spectral');
      const { summary, files } = await runSpectralJob({ kind: 'spectral', inDir: paths.in, rlDir: paths.rl, baseDir: paths.base, outDir }, stepJob);
      return {
        summary,
        section: { title: 'Spectra of the updates', summary: 'Singular values of every included update matrix: stable and effective rank, spectral norm, per layer.', links: files.filter((file) => /\.(html|json)$/.test(file) && !file.endsWith('.vl.json')).map((file) => link(relative(outDir, file), file)), charts: [] },
      };
    });
    for (const probe of ['ablation', 'attention'] as const) {
      await step(`${probe} probe`, async (stepJob) => {
        const outDir = join(report, 'probes');
        const { summaryPath, files } = await runProbeJob({ kind: 'probe', probe, inDir: paths.in, rlDir: paths.rl, items, outDir, maxNewTokens: DEMO_MAX_NEW_TOKENS, ...budget }, stepJob);
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
    await step('variant scores', async (stepJob) => {
      const outDir = join(report, 'variants');
      const { summaryPath, rows } = await runVariantsJob({ kind: 'variants', inDir: paths.in, rlDir: paths.rl, items, outDir, thirds: true, maxNewTokens: DEMO_MAX_NEW_TOKENS, ...budget }, stepJob);
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
    await step('merge', async (stepJob) => {
      // The sweep ran every variant from IN's and RL's files; the best one (by real-image accuracy,
      // the first on ties) is now written as an ordinary checkpoint by the merge writer.
      const variants = variantRows.filter((row) => row.kind !== 'checkpoint');
      const best = variants.reduce((top, row) => (row.conditions.real!.overall.accuracy > top.conditions.real!.overall.accuracy ? row : top));
      const plan = thirdsVariants(paths, DEMO_SHAPE.llmLayers).find((candidate) => candidate.name === best.model)!;
      const planFile = join(report, 'merge-plan.json');
      writeJsonAtomic(planFile, plan);
      // merges/ is the demo's own: marked, so the next run may remove it.
      prepareOutputFolder(join(dir, 'merges'), { kind: 'merge' }).release();
      const outDir = join(dir, 'merges', planFolderName(plan));
      const { written } = await runMergeJob({ kind: 'merge', merges: [{ plan, outDir }], overwrite: true }, stepJob);
      return {
        summary: `${written[0]!.summary}\nwrote ${outDir}`,
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
  writeFileAtomic(
    index,
    studyIndexHtml({
      title: 'Frankenlens demo study',
      banner: 'Synthetic checkpoints with random weights and a planted RL update: the pipeline is real, the models are not. Probe and accuracy numbers of random models say nothing about real ones.',
      facts: [['IN', paths.in], ['RL', paths.rl], ['Base', paths.base], ['Benchmark', `${items} (generated)`], ['Steps', steps.map((done) => `${done.name} ${done.seconds.toFixed(1)} s`).join(' · ')]],
      sections,
    }),
  );
  return { kind: 'demo', outDir: report, index, steps };
}
