import { describeCudaReport, detectCuda, ORT_VERSION, type CudaReport } from '../../core/model/cudaDetection';
import { setupCudaProvider } from '../../core/model/cudaProviderSetup';
import { UsageError } from '../cliErrors';

export const GPU_USAGE = `frankenlens gpu setup --from PATH | gpu check

Sets up and checks the CUDA path (see docs/gpu-setup.md). The npm package of onnxruntime-node
carries no CUDA provider; \`setup\` installs its two files (libonnxruntime_providers_cuda.so and
libonnxruntime_providers_shared.so, of onnxruntime ${ORT_VERSION}) into onnxruntime-node's binary
folder from PATH: a folder holding them at any depth (an extracted Microsoft.ML.OnnxRuntime.Gpu.Linux
NuGet package, the onnxruntime-linux-x64-gpu-${ORT_VERSION} release archive's lib/, a Python
onnxruntime-gpu install's onnxruntime/capi/), or a .nupkg, .zip, .whl, .tgz or .tar.gz of one.
Files of another onnxruntime version are refused. Then the check runs.

\`check\` reports the provider files, the CUDA 12 runtime libraries, cuDNN 9, the NVIDIA driver and
a test session on CUDA; exit status 0 when CUDA can be used, 3 when not.`;

export interface GpuOutcome {
  text: string;
  report: CudaReport;
  /** Exit status: check 0 or 3 by the report; setup 0 once the files are installed. */
  ok: boolean;
}

export async function gpuCommand(argv: string[]): Promise<GpuOutcome> {
  const [action, ...rest] = argv;
  if (action === 'check') {
    if (rest.length > 0) throw new UsageError('gpu check takes no arguments');
    const report = await detectCuda();
    return { text: describeCudaReport(report), report, ok: report.ok };
  }
  if (action === 'setup') {
    const from = rest[0] === '--from' ? rest[1] : rest[0]?.startsWith('--from=') ? rest[0].slice('--from='.length) : undefined;
    const extra = rest[0] === '--from' ? rest.slice(2) : rest.slice(1);
    if (!from || extra.length > 0) throw new UsageError('gpu setup needs --from PATH (a folder or archive holding the CUDA provider files)');
    const result = await setupCudaProvider(from);
    const report = await detectCuda();
    const text = [`installed onnxruntime ${result.version}'s CUDA provider (version from ${result.versionSource}):`, ...result.installed.map((path) => `  ${path}`), '', describeCudaReport(report)].join('\n');
    return { text, report, ok: true };
  }
  throw new UsageError(action === undefined ? 'gpu needs "setup --from PATH" or "check"' : `unknown gpu action "${action}" (setup or check)`);
}
