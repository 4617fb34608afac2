/**
 * Singular-value analysis of the weight updates of an IN/RL pair (and of IN over an optional Base):
 *
 *   open → pair → place → select matrices → per matrix: read and decode once → ΔRL (then ΔIN)
 *   → exact spectrum or block Krylov (fast) → metrics → per-layer, section and region means
 *
 * One matrix is in memory at a time (as float32: 272 MB for 3584×18944), so memory does not grow
 * with the checkpoint.
 */
import { inferModelShape, placeTensor, regionCutsProblem } from '../checkpoint/canonicalNames';
import { openCheckpoint, type Checkpoint } from '../checkpoint/checkpoint';
import { bytesPerElement, type FloatDtype } from '../checkpoint/dtypes';
import { FileReader } from '../checkpoint/fileReader';
import { decodeToF32Bits } from '../checkpoint/floatDecode';
import { pairCheckpoints, pairedTensorIdentity, type PairedTensor } from '../checkpoint/pairing';
import type { LayerPlacement, TensorLocation } from '../checkpoint/tensorInfo';
import { layerPartition, summarizeCheckpoint } from '../diff/runDiff';
import { FrankenlensError } from '../errors';
import { blockKrylovSpectrum } from '../linalg/blockKrylovSpectrum';
import { exactSingularValues } from '../linalg/exactSingularValues';
import { chooseGemmKernel, type GemmKernel, type KernelTiming } from '../linalg/gemmKernel';
import { jsGemmKernel } from '../linalg/jsGemm';
import { createOnnxGemmKernel } from '../linalg/onnxGemm';
import { throwIfCancelled, type CancelToken, type Logger, type ProgressSink } from '../progress';
import { TOOL_NAME, TOOL_VERSION } from '../version';
import { exactMetrics, fastMetrics, LOG_VOLUME_COUNT } from './spectralMetrics';
import { FLATTENING_NOTE, SPECTRAL_INCLUSION_RULES } from './spectralInclusion';
import { SPECTRAL_SCHEMA, type MatrixSpectrum, type SpectralInclusionId, type SpectralMode, type SpectralModeChoice, type SpectralResult, type SpectralTensorRecord } from './spectralResult';
import { layerSummaries, regionSummaries, sectionSummaries } from './spectralSummaries';
import { peakRssBytes } from '../processMemory';

export type KernelChoice = 'auto' | 'onnxruntime' | 'typed-array';

export interface SpectralOptions {
  inDir: string;
  rlDir: string;
  baseDir?: string;
  inclusion?: SpectralInclusionId;
  mode?: SpectralModeChoice;
  /** Singular values reported per matrix (default 50, the paper's). */
  topK?: number;
  /** auto mode: exact when rows·cols·min(rows, cols) ≤ this. */
  exactMaxWork?: number;
  /** Fast mode stops once σ₁'s error bound is below this fraction of σ₁. */
  tolerance?: number;
  seed?: number;
  regionCuts?: [number, number];
  /** Threads for the onnxruntime kernel; 0 or undefined: every available core. */
  threads?: number;
  kernel?: KernelChoice;
  cancel?: CancelToken;
  progress?: ProgressSink;
  logger?: Logger;
}

/** About a second of exact work on one core (e.g. 256×4096); larger matrices go to fast mode. */
export const DEFAULT_EXACT_MAX_WORK = 2 ** 28;
export const DEFAULT_TOP_K = 50;
export const DEFAULT_TOLERANCE = 1e-4;
const READ_PIECE_ELEMENTS = 1 << 22;

export const SPECTRAL_PRECISION_NOTE =
  'Weights are decoded exactly to float32 and each update is formed once in float32 (ΔRL = W_RL − W_IN, ΔIN = W_IN − W_Base), as the paper upcasts its deltas to fp32 (it subtracts in fp16 first; we do not). Exact mode computes every singular value in float64 (Householder LQ and bidiagonalization, then bisection). Fast mode multiplies by the update in float32 and keeps its Krylov basis in float64.';

export const SPECTRAL_METRICS_NOTE =
  'With σ descending: spectral = σ₁; nuclear = Σσ; frobenius = ‖Δ‖_F from the entries; stable rank = ‖Δ‖_F² / (σ₁² + 1e-12); effective rank = exp(−Σ pᵢ ln pᵢ), pᵢ = σᵢ / Σσ over σᵢ > 1e-12 (0 for a zero matrix); condition = σ₁ / (σ_min + 1e-12); log-volume = Σ_{i<50} ln(σᵢ + 1e-12). As in the paper (reference §4.4).';

export const ERROR_BARS_NOTE =
  'Fast mode (randomized block Krylov on ΔΔᵀ, Gaussian start block of topK+14 probes): each reported σ̃ᵢ is a Ritz value, never above the true σᵢ, and σᵢ ≤ σ̃ᵢ + error (residual bound ‖Mỹ − θỹ‖, sharpened to ‖r‖²/gap with the Ritz gap). Stable rank and log-volume errors follow from σ₁ and the top-50 bounds. Nuclear norm and effective rank are block Gauss quadrature estimates with the top Ritz values deflated and the rest estimated from the probes: error bar = 3 standard errors over the probes (jackknife for the effective rank) + the change since the previous convergence check (two block steps earlier). The condition number in fast mode is a lower bound. Exact mode: all error bars are 0.';

export const SPECTRAL_AGGREGATION_NOTE =
  'Per-layer, per-section and per-region values are means of the per-matrix metrics over the included matrices (pooled over attention and MLP), as in the paper; they are not metrics of concatenated layers.';

interface SelectedMatrix {
  pair: PairedTensor;
  placement: LayerPlacement;
  rows: number;
  cols: number;
  mode: SpectralMode;
}

export async function runSpectral(options: SpectralOptions): Promise<SpectralResult> {
  const started = performance.now();
  const rule = SPECTRAL_INCLUSION_RULES[options.inclusion ?? 'paper'];
  if (!rule) throw new FrankenlensError('InvalidArgument', `unknown inclusion rule "${options.inclusion}" (use "paper" or "all-matrices")`);
  const modeChoice = options.mode ?? 'auto';
  if (!['auto', 'exact', 'fast'].includes(modeChoice)) throw new FrankenlensError('InvalidArgument', `unknown mode "${modeChoice}" (use "auto", "exact" or "fast")`);
  const topK = options.topK ?? DEFAULT_TOP_K;
  if (!Number.isInteger(topK) || topK < 1) throw new FrankenlensError('InvalidArgument', `top-k must be a positive integer, not ${topK}`);
  const exactMaxWork = options.exactMaxWork ?? DEFAULT_EXACT_MAX_WORK;
  const tolerance = options.tolerance ?? DEFAULT_TOLERANCE;
  const seed = options.seed ?? 1;

  const reader = new FileReader();
  try {
    const checkpoints: { in: Checkpoint; rl: Checkpoint; base?: Checkpoint } = { in: openCheckpoint(options.inDir, reader), rl: openCheckpoint(options.rlDir, reader) };
    if (options.baseDir !== undefined) checkpoints.base = openCheckpoint(options.baseDir, reader);
    throwIfCancelled(options.cancel);
    const pairs = pairCheckpoints(checkpoints);
    const shape = inferModelShape(pairs.map((pair) => pair.canonicalName), { llmLayers: checkpoints.in.info.llmLayers, visionDepth: checkpoints.in.info.visionDepth }, options.regionCuts);
    const cutsProblem = options.regionCuts ? regionCutsProblem(options.regionCuts, shape.llmLayers) : null;
    if (cutsProblem) throw new FrankenlensError('InvalidArgument', `region ${cutsProblem}`);

    const selected: SelectedMatrix[] = [];
    for (const pair of pairs) {
      const placement = placeTensor(pair.in.name, shape);
      if (![pair.in, pair.rl, pair.base].every((tensor) => tensor === undefined || rule.includes(tensor, placement))) continue;
      const rows = pair.in.shape[0]!;
      const cols = pair.in.shape.slice(1).reduce((product, dim) => product * dim, 1);
      const mode = modeChoice === 'auto' ? (rows * cols * Math.min(rows, cols) <= exactMaxWork ? 'exact' : 'fast') : modeChoice;
      selected.push({ pair, placement, rows, cols, mode });
    }

    const fastOnes = selected.filter((matrix) => matrix.mode === 'fast');
    const chosen = fastOnes.length === 0 ? null : await chooseKernel(options.kernel ?? 'auto', options.threads, fastOnes, topK);
    const phases = checkpoints.base ? 2 : 1;
    const totalWork = selected.reduce((total, matrix) => total + matrix.rows * matrix.cols * phases, 0);
    let workDone = 0;
    let bytesRead = 0;
    options.logger?.info(`spectral: ${selected.length} matrices (${fastOnes.length} fast, ${selected.length - fastOnes.length} exact)${chosen ? `, products on ${chosen.kernel.name}` : ''}`);

    const largest = selected.reduce((max, matrix) => Math.max(max, matrix.rows * matrix.cols), 0);
    const delta = new Float32Array(largest);
    const tensors: SpectralTensorRecord[] = [];
    try {
      for (const matrix of selected) {
        const { pair, placement, rows, cols } = matrix;
        const numel = rows * cols;
        const view = delta.subarray(0, numel);
        const analyse = async (from: TensorLocation, to: TensorLocation): Promise<MatrixSpectrum> => {
          throwIfCancelled(options.cancel);
          bytesRead += readDifference(reader, from, to, view);
          const spectrum = await analyseMatrix({ data: view, rows, cols }, matrix.mode, topK, tolerance, seed, chosen?.kernel);
          workDone += numel;
          options.progress?.report({ fraction: totalWork === 0 ? 1 : workDone / totalWork, message: `${tensors.length + 1} of ${selected.length}: ${pair.in.name}` });
          return spectrum;
        };
        const rl = await analyse(pair.in, pair.rl);
        const inSpectrum = pair.base ? await analyse(pair.base, pair.in) : null;
        tensors.push({
          ...pairedTensorIdentity(pair, placement),
          matrixShape: [rows, cols],
          flattened: pair.in.shape.length > 2,
          rl,
          in: inSpectrum,
        });
      }
    } finally {
      await chosen?.kernel.dispose();
    }

    const result: SpectralResult = {
      schema: SPECTRAL_SCHEMA,
      tool: { name: TOOL_NAME, version: TOOL_VERSION, node: process.version },
      createdAt: new Date().toISOString(),
      config: {
        inclusionRule: { id: rule.id, description: rule.description },
        mode: modeChoice,
        exactMaxWork,
        topK,
        tolerance,
        seed,
        flattening: FLATTENING_NOTE,
        precision: SPECTRAL_PRECISION_NOTE,
        metrics: SPECTRAL_METRICS_NOTE,
        errorBars: ERROR_BARS_NOTE,
        aggregation: SPECTRAL_AGGREGATION_NOTE,
        kernel: chosen ? { name: chosen.kernel.name, timings: chosen.timings } : null,
      },
      inputs: { in: summarizeCheckpoint('in', checkpoints.in), rl: summarizeCheckpoint('rl', checkpoints.rl) },
      partition: layerPartition(shape),
      tensors,
      layers: layerSummaries(tensors),
      sections: sectionSummaries(tensors),
      regions: regionSummaries(tensors),
      timing: { seconds: (performance.now() - started) / 1000, bytesRead, peakRssBytes: peakRssBytes() },
    };
    if (checkpoints.base) result.inputs.base = summarizeCheckpoint('base', checkpoints.base);
    return result;
  } finally {
    reader.close();
  }
}

/** One update matrix's metrics in the given mode. */
export async function analyseMatrix(
  matrix: { data: Float32Array; rows: number; cols: number },
  mode: SpectralMode,
  topK: number,
  tolerance: number,
  seed: number,
  kernel: GemmKernel = jsGemmKernel,
): Promise<MatrixSpectrum> {
  const started = performance.now();
  let frobeniusSq = 0;
  for (let i = 0; i < matrix.data.length; i++) frobeniusSq += matrix.data[i]! * matrix.data[i]!;
  const frobenius = Math.sqrt(frobeniusSq);
  if (mode === 'exact') {
    const metrics = exactMetrics(exactSingularValues(matrix.data, matrix.rows, matrix.cols), frobenius, topK);
    return { ...metrics, krylov: null, seconds: (performance.now() - started) / 1000 };
  }
  const krylov = await blockKrylovSpectrum(matrix, { kernel, topK: Math.max(topK, LOG_VOLUME_COUNT), tolerance, seed });
  const metrics = fastMetrics(krylov, frobenius, topK);
  return { ...metrics, krylov: { steps: krylov.steps, dimension: krylov.dimension, probes: krylov.probes, complete: krylov.complete }, seconds: (performance.now() - started) / 1000 };
}

/**
 * `to − from` into `target` (float32), reading both tensors in pieces; refuses non-finite values.
 * Returns the bytes read.
 */
export function readDifference(reader: FileReader, from: TensorLocation, to: TensorLocation, target: Float32Array): number {
  const count = target.length;
  const fromBits = new Uint32Array(Math.min(count, READ_PIECE_ELEMENTS));
  const toBits = new Uint32Array(fromBits.length);
  const fromValues = new Float32Array(fromBits.buffer);
  const toValues = new Float32Array(toBits.buffer);
  const raws = [from, to].map((tensor) => new Uint8Array(fromBits.length * bytesPerElement(tensor.dtype as FloatDtype)));
  for (let start = 0; start < count; start += READ_PIECE_ELEMENTS) {
    const n = Math.min(READ_PIECE_ELEMENTS, count - start);
    [from, to].forEach((tensor, side) => {
      const size = bytesPerElement(tensor.dtype as FloatDtype);
      reader.read(tensor.file, tensor.byteOffset + start * size, raws[side]!.subarray(0, n * size), tensor.name);
      decodeToF32Bits(tensor.dtype as FloatDtype, raws[side]!, 0, n, side === 0 ? fromBits : toBits);
    });
    for (let i = 0; i < n; i++) {
      const value = toValues[i]! - fromValues[i]!;
      if (!Number.isFinite(value)) {
        const culprit = Number.isFinite(toValues[i]!) ? from : to;
        throw new FrankenlensError('NonFiniteValues', `${culprit.file}: tensor "${culprit.name}" holds a non-finite value at element ${start + i}; its singular values are undefined`, culprit.file, culprit.name);
      }
      target[start + i] = value;
    }
  }
  return count * (bytesPerElement(from.dtype as FloatDtype) + bytesPerElement(to.dtype as FloatDtype));
}

/**
 * The product kernel for fast mode: the one asked for, or (auto) whichever of onnxruntime and the
 * typed-array kernel is faster on a block of the largest fast matrix's shape.
 */
async function chooseKernel(choice: KernelChoice, threads: number | undefined, fastOnes: readonly SelectedMatrix[], topK: number): Promise<{ kernel: GemmKernel; timings: KernelTiming[] }> {
  const resolvedThreads = threads && threads > 0 ? threads : (await import('node:os')).availableParallelism();
  if (choice === 'typed-array') return { kernel: jsGemmKernel, timings: [] };
  const onnx = await createOnnxGemmKernel(resolvedThreads).catch((error: Error) => {
    if (choice === 'onnxruntime') throw new FrankenlensError('InvalidArgument', `the onnxruntime kernel cannot start: ${error.message}`);
    return null;
  });
  if (!onnx) return { kernel: jsGemmKernel, timings: [] };
  if (choice === 'onnxruntime') return { kernel: onnx, timings: [] };
  const largest = fastOnes.reduce((best, matrix) => (matrix.rows * matrix.cols > best.rows * best.cols ? matrix : best));
  // A slice of the real shape: enough to rank the kernels, cheap even for the typed-array one.
  const timingShape = { rows: Math.min(largest.rows, 512), cols: Math.min(largest.cols, 2048), block: Math.max(topK, LOG_VOLUME_COUNT) + 14 };
  return chooseGemmKernel([onnx, jsGemmKernel], timingShape);
}
