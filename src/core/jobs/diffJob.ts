/** The weight diff as a job: runDiff, then diff.json and the report when an output folder is given. */
import { runDiff } from '../diff/runDiff';
import type { DiffResult } from '../diff/diffResult';
import { writeDiffJson } from '../diff/writeDiffJson';
import { writeDiffReport } from '../report/renderReport';
import type { JobContext } from './jobContext';
import type { DiffJob, DiffJobResult } from './jobProtocol';

export async function runDiffJob(job: DiffJob, context: JobContext): Promise<DiffJobResult> {
  const { inDir, rlDir, baseDir, inclusion, regionCuts, threads, outDir } = job;
  const result = await runDiff({ inDir, rlDir, baseDir, inclusion, regionCuts, threads, cancel: context.cancel, progress: context.progress, logger: { info: context.log, warn: context.log } });
  if (outDir === undefined) return { kind: 'diff', result, files: [] };
  const files = [writeDiffJson(result, outDir)];
  if (job.report !== false) files.push(...(await writeDiffReport(result, outDir)).files);
  return { kind: 'diff', result, outDir, files };
}

/** The few lines a user reads first: where the update went. */
export function describeDiff(result: DiffResult): string {
  const top = [...result.layers].sort((a, b) => b.rlDeltaRelMean - a.rlDeltaRelMean).slice(0, 3);
  const lines = [
    `${result.tensors.length} tensors paired (${result.tensors.filter((t) => t.included).length} included by the ${result.config.inclusionRule.id} rule), ${(result.timing.bytesRead / 2 ** 30).toFixed(2)} GiB read in ${result.timing.seconds.toFixed(1)} s`,
    'most changed layers (mean relative update ‖ΔRL‖/‖W_IN‖):',
    ...top.map((layer) => `  unified ${String(layer.unifiedLayer).padStart(3)}  (${layer.section}${layer.hfLayer === null ? '' : `, HF layer ${layer.hfLayer}`})  ${layer.rlDeltaRelMean.toExponential(3)}`),
  ];
  return lines.join('\n');
}
