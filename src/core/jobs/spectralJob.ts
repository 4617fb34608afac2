/** The spectral analysis as a job: runSpectral, then spectral.json and (unless report is false) its charts. */
import { writeSpectralReport } from '../report/spectralReport';
import { runSpectral } from '../spectral/runSpectral';
import type { SpectralResult } from '../spectral/spectralResult';
import { writeSpectralJson } from '../spectral/writeSpectralJson';
import type { JobContext } from './jobContext';
import type { SpectralJob, SpectralJobResult } from './jobProtocol';

export async function runSpectralJob(job: SpectralJob, context: JobContext): Promise<SpectralJobResult> {
  const { kind: _kind, outDir, report, ...options } = job;
  const result = await runSpectral({ ...options, cancel: context.cancel, progress: context.progress, logger: { info: context.log, warn: context.log } });
  const files = [writeSpectralJson(result, outDir)];
  if (report !== false) files.push(...(await writeSpectralReport(result, outDir)).files);
  return { kind: 'spectral', outDir, files, summary: describeSpectral(result) };
}

/** The few lines a user reads first. */
export function describeSpectral(result: SpectralResult): string {
  const fast = result.tensors.filter((tensor) => tensor.rl.mode === 'fast').length;
  const top = [...result.layers].sort((a, b) => b.rl.spectralNorm - a.rl.spectralNorm).slice(0, 3);
  return [
    `${result.tensors.length} matrices (${fast} fast, ${result.tensors.length - fast} exact; ${result.config.inclusionRule.id} rule) in ${result.timing.seconds.toFixed(1)} s${result.config.kernel ? `, products on ${result.config.kernel.name}` : ''}`,
    'largest mean spectral norm of ΔRL (mean stable rank, effective rank):',
    ...top.map((layer) => `  unified ${String(layer.unifiedLayer).padStart(3)}  (${layer.section}${layer.hfLayer === null ? '' : `, HF layer ${layer.hfLayer}`})  ${layer.rl.spectralNorm.toExponential(3)}  (${layer.rl.stableRank.toFixed(2)}, ${layer.rl.effectiveRank.toFixed(1)})`),
  ].join('\n');
}
