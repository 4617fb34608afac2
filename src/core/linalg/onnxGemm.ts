/**
 * The heavy products through onnxruntime: two one-node Gemm graphs (B plain and B transposed)
 * with symbolic dimensions, so one session serves every shape. On CPU this is MLAS's SGEMM on
 * `threads` threads; where onnxruntime reports a CUDA provider and a session starts on it, CUDA.
 */
import { existsSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { productShape, type GemmKernel, type Matrix } from './gemmKernel';

const OPSET = 21;
const ELEMENT_TYPES = { float32: 1, float64: 11 } as const;
type ElementType = keyof typeof ELEMENT_TYPES;

function gemmModel(elementType: ElementType, transposeB: boolean): Uint8Array {
  const valueInfo = (name: string, dims: string[]) => ({
    name,
    type: { tensorType: { elemType: ELEMENT_TYPES[elementType], shape: { dim: dims.map((dimParam) => ({ dimParam })) } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 10,
    producerName: 'frankenlens',
    opsetImport: [{ domain: '', version: OPSET }],
    graph: {
      name: transposeB ? 'gemm_transposed_b' : 'gemm',
      node: [{ opType: 'Gemm', input: ['A', 'B'], output: ['C'], attribute: [{ name: 'transB', type: onnx.AttributeProto.AttributeType.INT, i: transposeB ? 1 : 0 }] }],
      input: [valueInfo('A', ['m', 'k']), valueInfo('B', transposeB ? ['n', 'k'] : ['k', 'n'])],
      output: [valueInfo('C', ['m', 'n'])],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

export type OnnxProvider = 'cpu' | 'cuda';

/**
 * Providers to try, best first: CUDA where this onnxruntime lists it and its provider library is
 * installed beside the native binding (the npm CPU install lists CUDA but leaves the library out).
 */
export function onnxProviders(): OnnxProvider[] {
  const cuda = ort.listSupportedBackends().find((backend) => backend.name === 'cuda');
  const bindingFolder = join(dirname(require.resolve('onnxruntime-node')), '..', 'bin', 'napi-v6', process.platform, process.arch);
  const installed = cuda !== undefined && (cuda.bundled || (existsSync(bindingFolder) && readdirSync(bindingFolder, { withFileTypes: true }).some((entry) => /providers_cuda/.test(entry.name))));
  return installed ? ['cuda', 'cpu'] : ['cpu'];
}

type Sessions = Record<ElementType, { plain: ort.InferenceSession; transposed: ort.InferenceSession }>;

async function createSessions(provider: OnnxProvider, threads: number): Promise<Sessions> {
  const options: ort.InferenceSession.SessionOptions = {
    executionProviders: [provider],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
  };
  const pair = async (elementType: ElementType) => ({
    plain: await ort.InferenceSession.create(gemmModel(elementType, false), options),
    transposed: await ort.InferenceSession.create(gemmModel(elementType, true), options),
  });
  return { float32: await pair('float32'), float64: await pair('float64') };
}

/**
 * A Gemm kernel on the first provider whose sessions start (CUDA's provider library is absent from
 * the CPU install, so its session fails and CPU is used).
 */
export async function createOnnxGemmKernel(threads: number, providers: readonly OnnxProvider[] = onnxProviders()): Promise<GemmKernel> {
  let lastError: unknown;
  for (const provider of providers) {
    try {
      const sessions = await createSessions(provider, threads);
      return {
        name: `onnxruntime ${provider} (${threads} thread${threads === 1 ? '' : 's'})`,
        async multiply<D extends Float32Array | Float64Array>(a: Matrix<D>, b: Matrix<D>, transposeB: boolean): Promise<Matrix<D>> {
          const { rows, cols } = productShape(a, b, transposeB);
          const type: ElementType = a.data instanceof Float64Array ? 'float64' : 'float32';
          const session = transposeB ? sessions[type].transposed : sessions[type].plain;
          const outputs = await session.run({ A: new ort.Tensor(type, a.data, [a.rows, a.cols]), B: new ort.Tensor(type, b.data, [b.rows, b.cols]) });
          return { data: outputs.C!.data as D, rows, cols };
        },
        async dispose() {
          for (const pair of Object.values(sessions)) {
            await pair.plain.release();
            await pair.transposed.release();
          }
        },
      };
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`no onnxruntime session could start (${(lastError as Error)?.message ?? lastError})`);
}
