/** IN, RL and Frankenstein variants scored on a benchmark as a job (no merged copies written). */
import { resolve } from 'node:path';
import { readBenchmarkItems } from '../bench/benchmarkItems';
import { openCheckpoint } from '../checkpoint/checkpoint';
import { FrankenlensError } from '../errors';
import { thirdsVariants } from '../merge/presets';
import { defaultConditions, runVariantSweep, type SweepModel } from '../variants/variantSweep';
import { DESCRIPTION_TOKENS, describerModelDir, openDescriber } from './describerChoice';
import type { JobContext } from './jobContext';
import type { VariantsJob, VariantsJobResult } from './jobProtocol';
import { checkMemoryPlan, modelConfigOf } from './memoryCheck';
import { jobCalibration } from './calibrationMemory';
import { DEFAULT_BATCH_ROWS } from '../model/batchSizes';

/** The default answer cap of a sweep (the paper's). */
export const VARIANTS_MAX_NEW_TOKENS = 2048;

export async function runVariantsJob(job: VariantsJob, context: JobContext): Promise<VariantsJobResult> {
  const pair = { in: resolve(job.inDir), rl: resolve(job.rlDir) };
  const plans = [...(job.plans ?? [])];
  if (job.thirds || plans.length === 0) {
    const layers = openCheckpoint(pair.in).info.llmLayers;
    if (layers === null) throw new FrankenlensError('InvalidConfig', `${pair.in}: cannot tell the decoder layer count (no num_hidden_layers in config.json)`, pair.in);
    plans.unshift(...thirdsVariants(pair, layers, job.cuts));
  }
  const models: SweepModel[] = [{ name: 'IN', dir: pair.in }, { name: 'RL', dir: pair.rl }, ...plans.map((plan) => ({ name: plan.name, plan }))];
  const items = readBenchmarkItems(job.items);
  const outDir = resolve(job.outDir);
  const maxNewTokens = job.maxNewTokens ?? VARIANTS_MAX_NEW_TOKENS;
  const describerDir = job.conditions === undefined || job.conditions.includes('black+description') ? describerModelDir(job.describer) : undefined;
  const plan = checkMemoryPlan(
    {
      command: 'variants',
      models: [modelConfigOf(pair.in), modelConfigOf(pair.rl)],
      rows: job.batch ?? DEFAULT_BATCH_ROWS,
      maxNewTokens,
      precision: job.runtime.precision,
      images: items.some((item) => item.images.length > 0),
      describer: describerDir ? { config: modelConfigOf(describerDir), maxNewTokens: DESCRIPTION_TOKENS } : undefined,
    },
    { budget: job.memoryBudget, device: job.runtime.executionProvider, rowsChosen: job.batch === undefined, log: context.log },
  );
  const calibration = jobCalibration(job.runtime.precision, job.calibrationItems, plan, context.log);
  const { describer, unload } = openDescriber(job.describer, outDir, job.runtime);
  let conditions = job.conditions;
  if (conditions === undefined) {
    const chosen = defaultConditions(items, describer);
    conditions = chosen.conditions;
    if (chosen.skipped.length > 0) context.log(`conditions ${conditions.join(', ')} (not run: ${chosen.skipped.join('; ')}; --conditions chooses)`);
  }
  try {
    const result = await runVariantSweep({
      models,
      items,
      itemsFile: resolve(job.items),
      describerDir,
      settings: { maxNewTokens, style: job.style ?? {}, conditions },
      bootstrap: { seed: job.seed ?? 0 },
      describer,
      releaseDescriber: unload,
      outDir,
      batch: plan.rows,
      runtime: { ...job.runtime, releaseVisionAfterEncoding: plan.request.visionResident === false, onLoad: context.note },
      resume: job.resume,
      progress: context.progress,
      cancel: context.cancel,
      calibration,
    });
    return { kind: 'variants', summaryPath: result.summaryPath, rows: result.rows, comparison: result.comparison, resumed: result.resumed, ...(result.precisionAgreement && { precisionAgreement: result.precisionAgreement }) };
  } finally {
    await unload();
  }
}
