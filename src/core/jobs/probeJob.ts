/** A probe (attention to vision, layer ablation, visual-token swap) on IN and RL as a job. */
import { join } from 'node:path';
import { writeJsonAtomic } from '../atomicWrite';
import { readBenchmarkItems } from '../bench/benchmarkItems';
import { FrankenlensError } from '../errors';
import { DEFAULT_BATCH_ROWS } from '../model/batchSizes';
import { runAttentionProbe } from '../probes/attentionToVision';
import { runAblationProbe } from '../probes/layerAblation';
import { openProbeModel } from '../probes/probeModel';
import type { ProbeName } from '../probes/probeResult';
import { PAPER_ROWS_PER_TASK, readVisionPairs, VISION_TASKS } from '../probes/visionPairs';
import { runSwapProbe, SWAP_DECODINGS, SWAP_MODES, swappedLayers, type SwapMode } from '../probes/visualSwap';
import { ablationCharts, attentionCharts, swapCharts, type ProbeChart } from '../report/probeSpecs';
import { DESCRIPTION_TOKENS, describerModelDir, openDescriber, type OpenedDescriber } from './describerChoice';
import type { JobContext } from './jobContext';
import type { ProbeJob, ProbeJobResult } from './jobProtocol';
import { checkMemoryPlan, modelConfigOf } from './memoryCheck';
import { jobCalibration } from './calibrationMemory';
import type { PrecisionReport } from '../model/precisionReport';

/** The paper's answer caps per probe. */
export const PROBE_MAX_NEW_TOKENS: Record<ProbeName, number> = { attention: 1024, ablation: 2048, swap: 64 };

export async function runProbeJob(job: ProbeJob, context: JobContext): Promise<ProbeJobResult> {
  const { probe, outDir } = job;
  const configs = { in: modelConfigOf(job.inDir), rl: modelConfigOf(job.rlDir) };
  const layerCount = configs.in.decoder.layers;
  const layers = job.layers ? layerList(job.layers, layerCount) : Array.from({ length: layerCount }, (_, layer) => layer);
  const maxNewTokens = job.maxNewTokens ?? PROBE_MAX_NEW_TOKENS[probe];
  const condition = job.condition ?? 'real';
  const style = job.style ?? {};
  if (job.batch !== undefined && !(Number.isSafeInteger(job.batch) && job.batch >= 1)) throw new FrankenlensError('InvalidArgument', `batch must be a whole number ≥ 1, not ${job.batch}`);

  // What the probe will run, read before any model loads, for the memory plan.
  const swap = probe === 'swap'
    ? {
        pairs: readVisionPairs(job.items, { tasks: job.tasks ?? [...VISION_TASKS], rowsPerTask: job.rowsPerTask ?? PAPER_ROWS_PER_TASK }),
        modes: job.modes ?? [...SWAP_MODES],
        decodings: job.decodings ?? [...SWAP_DECODINGS],
      }
    : undefined;
  const items = probe === 'swap' ? [] : readBenchmarkItems(job.items);
  const runsPerItem = swap ? swapDecodingsPerPair(layers, swap.modes, layerCount) * swap.decodings.length : layers.length + 1;
  const describerDir = probe !== 'swap' && condition === 'black+description' ? describerModelDir(job.describer) : undefined;
  const plan = checkMemoryPlan(
    {
      command: `probe ${probe}`,
      models: [configs.in, configs.rl],
      // Attention: a row per item in flight; ablation and swap: an item's runs fill rows first.
      rows: probe === 'attention' ? job.batch ?? DEFAULT_BATCH_ROWS : Math.min(job.batch ?? DEFAULT_BATCH_ROWS, runsPerItem),
      maxNewTokens,
      precision: job.runtime.precision,
      images: probe === 'swap' || items.some((item) => item.images.length > 0),
      describer: describerDir ? { config: modelConfigOf(describerDir), maxNewTokens: DESCRIPTION_TOKENS } : undefined,
    },
    { budget: job.memoryBudget, device: job.runtime.executionProvider, rowsChosen: job.batch === undefined, log: context.log },
  );

  const runtime = { ...job.runtime, releaseVisionAfterEncoding: plan.request.visionResident === false, onLoad: context.note };
  const models = { in: openProbeModel('in', job.inDir, runtime), rl: openProbeModel('rl', job.rlDir, runtime) };
  const calibration = jobCalibration(job.runtime.precision, job.calibrationItems, plan, context.log);
  const common = { outDir, resume: job.resume, progress: context.progress, cancel: context.cancel, calibration };
  const sources = { itemsFile: job.items, describerDir };
  let describer: OpenedDescriber | undefined;
  try {
    let summaryPath: string;
    let precisionAgreement: PrecisionReport | undefined;
    let charts: ProbeChart[];
    if (swap) {
      const { pairs, modes, decodings } = swap;
      const result = await runSwapProbe({ ...common, models: [models.in, models.rl], pairs, settings: { layers, modes, decodings, maxNewTokens, batch: plan.rows } });
      ({ summaryPath, precisionAgreement } = result);
      charts = swapCharts(result.rows);
    } else {
      describer = openDescriber(job.describer, outDir, job.runtime);
      if (probe === 'ablation') {
        const result = await runAblationProbe({ ...common, ...sources, models: [models.in, models.rl], items, settings: { layers, maxNewTokens, condition, style, batch: plan.rows }, describer: describer.describer });
        ({ summaryPath, precisionAgreement } = result);
        charts = ablationCharts(result.rows);
      } else {
        const settings = { maxNewTokens, condition, style, scope: job.scope ?? 'response', sharedFrom: job.sharedFrom ?? 'in' } as const;
        const result = await runAttentionProbe({ ...common, ...sources, models, items, settings, batch: plan.rows, describer: describer.describer });
        ({ summaryPath, precisionAgreement } = result);
        charts = attentionCharts(result.rows);
      }
    }
    const files = charts.map((chart) => {
      const path = join(outDir, `${chart.id}.vl.json`);
      writeJsonAtomic(path, chart.spec);
      return path;
    });
    return { kind: 'probe', summaryPath, files: [summaryPath, ...files], ...(precisionAgreement && { precisionAgreement }) };
  } finally {
    await Promise.all([models.in.runtime.unload(), models.rl.runtime.unload(), describer?.unload()]);
  }
}

/** Distinct swapped layer sets per pair (a suffix from the last layer is that layer alone), as runSwapProbe decodes them. */
function swapDecodingsPerPair(layers: readonly number[], modes: readonly SwapMode[], layerCount: number): number {
  return new Set(layers.flatMap((layer) => modes.map((mode) => swappedLayers(mode, layer, layerCount).join()))).size;
}

/** "0-27", "3,5,9" or a mix, within 0..count-1. */
export function layerList(text: string, count: number): number[] {
  const layers = new Set<number>();
  for (const part of text.split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) throw new FrankenlensError('InvalidArgument', `layers: "${part}" is not a layer or a range A-B`);
    const [start, end] = [Number(match[1]), Number(match[2] ?? match[1])];
    if (end < start || end >= count) throw new FrankenlensError('InvalidArgument', `layers: ${part} is outside the decoder's layers 0-${count - 1}`);
    for (let layer = start; layer <= end; layer++) layers.add(layer);
  }
  return [...layers].sort((a, b) => a - b);
}
