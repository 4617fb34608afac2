/**
 * `npm run bench -- spectral`: the spectral pass over a generated, Qwen2.5-VL-7B-shaped set of 28
 * down_proj updates (3584×18944, bf16: IN random, RL = IN + low-rank-plus-noise update, rounded to
 * bf16 so many entries stay bit-identical), against numpy's exact SVD of the same matrices.
 *
 * Every measurement runs in its own child process (peak RSS is that measurement's alone):
 * - the product kernels on the full shape (onnxruntime MatMul/Gemm vs the typed-array kernel);
 * - our fast mode over all 28 matrices (the whole `runSpectral` pass: reading, decoding, metrics);
 * - numpy.linalg.svd(compute_uv=False) on the first FRANKENLENS_BENCH_NUMPY_MATRICES (default 2),
 *   extrapolated to 28 (labelled), and the accuracy of our fast mode against its singular values;
 * - our exact mode and numpy on an 896×4736 corner of the first update (our exact mode is
 *   single-threaded float64 JavaScript: the full shape takes many minutes).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { openCheckpoint } from '../src/core/checkpoint/checkpoint';
import { FileReader } from '../src/core/checkpoint/fileReader';
import { encodeFloats, toBf16Bits } from '../src/core/checkpoint/floatEncode';
import { writeCheckpointFolder } from '../src/core/checkpoint/safetensorsWriter';
import { chooseGemmKernel } from '../src/core/linalg/gemmKernel';
import { jsGemmKernel } from '../src/core/linalg/jsGemm';
import { createOnnxGemmKernel } from '../src/core/linalg/onnxGemm';
import { analyseMatrix, readDifference, runSpectral } from '../src/core/spectral/runSpectral';
import { seededRandom } from '../src/core/seededRandom';

const LAYERS = 28;
const ROWS = 3584;
const COLS = 18944;
const UPDATE_RANK = 16;
const SLICE = { rows: 896, cols: 4736 };
const NUMPY_MATRICES = Number(process.env.FRANKENLENS_BENCH_NUMPY_MATRICES ?? 2);
const PYTHON = process.env.FRANKENLENS_BENCH_PYTHON ?? 'python3';
const tensorName = (layer: number) => `model.layers.${layer}.mlp.down_proj.weight`;

/** IN weights ~ U(±√3)/√fan_in; the update: a rank-16 part with decaying strengths plus dense noise, 1–3% of the weights. */
function writePair(root: string): { inDir: string; rlDir: string } {
  const inDir = join(root, 'in');
  const rlDir = join(root, 'rl');
  const marker = join(root, 'complete.json');
  if (existsSync(marker)) return { inDir, rlDir };
  mkdirSync(root, { recursive: true });
  console.log(`generating 28 bf16 3584×18944 down_proj pairs in ${root} (7.6 GB, once) ...`);
  const scale = Math.sqrt(3 / COLS);
  const config = JSON.stringify({ model_type: 'qwen2', num_hidden_layers: LAYERS, _frankenlens_synthetic: 'spectral bench: random weights' });
  const tensors = (withUpdate: boolean) =>
    Array.from({ length: LAYERS }, (_, layer) => ({
      name: tensorName(layer),
      dtype: 'BF16' as const,
      shape: [ROWS, COLS],
      produce(write: (bytes: Uint8Array) => void) {
        const weights = seededRandom(1, `w${layer}`);
        const noise = seededRandom(1, `n${layer}`);
        const factors = seededRandom(1, `f${layer}`);
        const u = Float64Array.from({ length: UPDATE_RANK * ROWS }, () => factors() - 0.5);
        const v = Float64Array.from({ length: UPDATE_RANK * COLS }, () => factors() - 0.5);
        const strength = u.map((_, k) => (k < UPDATE_RANK ? (0.08 * scale) / (1 + k) : 0));
        const row = new Float64Array(COLS);
        const bits = new Uint32Array(1);
        const asFloat = new Float32Array(bits.buffer);
        for (let i = 0; i < ROWS; i++) {
          for (let j = 0; j < COLS; j++) row[j] = Math.fround((weights() * 2 - 1) * scale);
          if (withUpdate) {
            for (let j = 0; j < COLS; j++) {
              let update = 0.01 * scale * (noise() * 2 - 1);
              for (let k = 0; k < UPDATE_RANK; k++) update += strength[k]! * u[k * ROWS + i]! * v[k * COLS + j]! * 12;
              // IN's stored value is bf16: round it first, so that RL − IN is what training would leave.
              bits[0] = toBf16Bits(row[j]!) << 16;
              row[j] = asFloat[0]! + update;
            }
          }
          write(encodeFloats(row, 'BF16'));
        }
      },
    }));
  writeCheckpointFolder(inDir, tensors(false), { maxShardBytes: 2 ** 31, overwrite: true, files: { 'config.json': config } });
  writeCheckpointFolder(rlDir, tensors(true), { maxShardBytes: 2 ** 31, overwrite: true, files: { 'config.json': config } });
  writeFileSync(marker, JSON.stringify({ layers: LAYERS, rows: ROWS, cols: COLS }));
  return { inDir, rlDir };
}

type Kind = 'kernels' | 'fast' | 'numpy' | 'exact-slice';

const peakRssMiB = () => process.resourceUsage().maxRSS / 1024;

/** Child mode: one measurement, printed as one JSON line. */
async function measure(kind: Kind, inDir: string, rlDir: string): Promise<unknown> {
  if (kind === 'kernels') {
    const threads = availableParallelism();
    const { kernel, timings } = await chooseGemmKernel([await createOnnxGemmKernel(threads, ['cpu']), jsGemmKernel], { rows: ROWS, cols: COLS, block: 64 }, 1);
    await kernel.dispose();
    return { timings, chosen: kernel.name, peakRssMiB: peakRssMiB() };
  }
  if (kind === 'fast') {
    const started = performance.now();
    const result = await runSpectral({ inDir, rlDir, mode: 'fast' });
    return {
      seconds: (performance.now() - started) / 1000,
      peakRssMiB: peakRssMiB(),
      kernel: result.config.kernel,
      matrices: result.tensors.map((tensor) => ({ name: tensor.name, ...tensor.rl })),
    };
  }
  // exact-slice: our exact mode on the corner of the first update.
  const reader = new FileReader();
  const from = openCheckpoint(inDir, reader).tensors.find((tensor) => tensor.name === tensorName(0))!;
  const to = openCheckpoint(rlDir, reader).tensors.find((tensor) => tensor.name === tensorName(0))!;
  const delta = new Float32Array(ROWS * COLS);
  readDifference(reader, from, to, delta);
  reader.close();
  const corner = new Float32Array(SLICE.rows * SLICE.cols);
  for (let i = 0; i < SLICE.rows; i++) corner.set(delta.subarray(i * COLS, i * COLS + SLICE.cols), i * SLICE.cols);
  const started = performance.now();
  const spectrum = await analyseMatrix({ data: corner, rows: SLICE.rows, cols: SLICE.cols }, 'exact', 50, 1e-4, 1);
  return { seconds: (performance.now() - started) / 1000, spectralNorm: spectrum.spectralNorm, peakRssMiB: peakRssMiB() };
}

/** numpy: reads the bf16 bytes, forms Δ in float32 and times svd(compute_uv=False) per matrix. */
const NUMPY_SCRIPT = String.raw`
import json, resource, sys, time, numpy as np
def tensor(folder, name):
    import glob, struct
    for path in sorted(glob.glob(folder + '/*.safetensors')):
        with open(path, 'rb') as f:
            n = struct.unpack('<Q', f.read(8))[0]; header = json.loads(f.read(n))
            if name in header:
                a, b = header[name]['data_offsets']; f.seek(8 + n + a)
                bits = np.frombuffer(f.read(b - a), dtype=np.uint16).astype(np.uint32) << 16
                return bits.view(np.float32).reshape(header[name]['shape'])
in_dir, rl_dir, count, slice_rows, slice_cols = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
out = {'numpy': np.__version__, 'matrices': []}
for layer in range(count):
    name = 'model.layers.%d.mlp.down_proj.weight' % layer
    delta = tensor(rl_dir, name) - tensor(in_dir, name)
    if layer == 0:
        corner = np.ascontiguousarray(delta[:slice_rows, :slice_cols])
        t = time.perf_counter(); np.linalg.svd(corner, compute_uv=False); out['sliceSeconds'] = time.perf_counter() - t
    t = time.perf_counter(); s = np.linalg.svd(delta, compute_uv=False).astype(np.float64); seconds = time.perf_counter() - t
    fro = float(np.linalg.norm(delta.astype(np.float64)))
    kept = s[s > 1e-12]; p = kept / kept.sum()
    out['matrices'].append({'name': name, 'seconds': seconds, 'spectralNorm': float(s[0]), 'stableRank': fro ** 2 / (s[0] ** 2 + 1e-12),
                            'effectiveRank': float(np.exp(-(p * np.log(p)).sum())), 'nuclearNorm': float(s.sum()), 'top50': s[:50].tolist()})
out['peakRssMiB'] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
`;

function child(kind: Kind, pair: { inDir: string; rlDir: string }): any {
  const output =
    kind === 'numpy'
      ? execFileSync(PYTHON, ['-c', NUMPY_SCRIPT, pair.inDir, pair.rlDir, String(NUMPY_MATRICES), String(SLICE.rows), String(SLICE.cols)], { encoding: 'utf8', maxBuffer: 2 ** 26 })
      : execFileSync(process.execPath, [__filename, '--measure-spectral', kind, pair.inDir, pair.rlDir], { encoding: 'utf8', maxBuffer: 2 ** 26 });
  return JSON.parse(output.trim().split('\n').at(-1)!);
}

export async function spectralBenchChild(args: string[]): Promise<void> {
  console.log(JSON.stringify(await measure(args[0] as Kind, args[1]!, args[2]!)));
}

export async function spectralBench(benchDir: string): Promise<Record<string, unknown>> {
  const pair = writePair(join(benchDir, 'spectral-down-proj'));
  console.log('\nspectral: timing the product kernels on the full 3584×18944 shape ...');
  const kernels = child('kernels', pair);
  console.table(kernels.timings.map((timing: { kernel: string; seconds: number; gflops: number }) => ({ kernel: timing.kernel, 'A·X + (A·X)·Aᵀ, 64 columns, s': +timing.seconds.toFixed(3), GFLOP_s: +timing.gflops.toFixed(1) })));
  console.log(`chosen: ${kernels.chosen}`);
  console.log('spectral: fast mode over all 28 matrices ...');
  const fast = child('fast', pair);
  console.log(`spectral: numpy exact SVD of the first ${NUMPY_MATRICES} matrices (${PYTHON}) ...`);
  const numpy = child('numpy', pair);
  console.log('spectral: exact mode on an 896×4736 corner ...');
  const exactSlice = child('exact-slice', pair);

  const numpyPerMatrix = numpy.matrices.reduce((sum: number, m: { seconds: number }) => sum + m.seconds, 0) / numpy.matrices.length;
  const numpyAll = numpyPerMatrix * LAYERS;
  const accuracy = numpy.matrices.map((reference: { name: string; spectralNorm: number; stableRank: number; effectiveRank: number; nuclearNorm: number }) => {
    const ours = fast.matrices.find((m: { name: string }) => m.name === reference.name);
    const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);
    return {
      matrix: reference.name,
      'spectral norm rel. error': +rel(ours.spectralNorm, reference.spectralNorm).toExponential(2),
      'stable rank rel. error': +rel(ours.stableRank, reference.stableRank).toExponential(2),
      'effective rank rel. error': +rel(ours.effectiveRank, reference.effectiveRank).toExponential(2),
      'effective rank bar (rel.)': +(ours.effectiveRankError / ours.effectiveRank).toExponential(2),
      'nuclear norm rel. error': +rel(ours.nuclearNorm, reference.nuclearNorm).toExponential(2),
      'nuclear bar (rel.)': +(ours.nuclearNormError / ours.nuclearNorm).toExponential(2),
      'Krylov steps': ours.krylov.steps,
    };
  });
  const rows = [
    { measurement: 'ours, fast mode, 28 matrices (whole pass incl. reading)', seconds: +fast.seconds.toFixed(1), 'peak RSS MiB': Math.round(fast.peakRssMiB) },
    { measurement: `numpy exact, ${NUMPY_MATRICES} matrices (measured)`, seconds: +(numpyPerMatrix * NUMPY_MATRICES).toFixed(1), 'peak RSS MiB': Math.round(numpy.peakRssMiB) },
    { measurement: 'numpy exact, 28 matrices (extrapolated ×28/' + NUMPY_MATRICES + ')', seconds: +numpyAll.toFixed(1), 'peak RSS MiB': Math.round(numpy.peakRssMiB) },
    { measurement: 'ours, exact mode, 896×4736 corner', seconds: +exactSlice.seconds.toFixed(2), 'peak RSS MiB': Math.round(exactSlice.peakRssMiB) },
    { measurement: 'numpy exact, 896×4736 corner', seconds: +numpy.sliceSeconds.toFixed(2), 'peak RSS MiB': null },
  ];
  console.log(`\nspectral pass: 28 bf16 3584×18944 down_proj updates, ${process.version}, numpy ${numpy.numpy}, ${availableParallelism()} cores`);
  console.table(rows);
  console.log(`fast mode vs numpy exact (28 matrices, numpy extrapolated): ${(numpyAll / fast.seconds).toFixed(1)}× faster`);
  console.log(`fast mode products on: ${fast.kernel?.name} (chosen by timing: ${fast.kernel?.timings.map((t: { kernel: string; seconds: number }) => `${t.kernel} ${t.seconds.toFixed(3)} s`).join(', ')})`);
  console.log('accuracy of fast mode against numpy on the measured matrices:');
  console.table(accuracy);
  return { kernels, fastSeconds: fast.seconds, fastPeakRssMiB: fast.peakRssMiB, numpyPerMatrix, numpyAllExtrapolated: numpyAll, ratio: numpyAll / fast.seconds, exactSlice, numpySliceSeconds: numpy.sliceSeconds, accuracy };
}
