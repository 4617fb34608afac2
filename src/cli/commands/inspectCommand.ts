import { parseArgs } from 'node:util';
import { openCheckpoint } from '../../core/checkpoint/checkpoint';
import { UsageError } from '../cliErrors';

export const INSPECT_USAGE = `frankenlens inspect DIR [--json]

What a checkpoint folder holds: architecture, layer counts, dtypes, parameters, files (headers only).`;

export function inspectCommand(argv: string[]): string {
  const { values, positionals } = parseArgs({ args: argv, options: { json: { type: 'boolean', default: false } }, allowPositionals: true, strict: true });
  if (positionals.length !== 1) throw new UsageError('inspect needs exactly one checkpoint folder');
  const checkpoint = openCheckpoint(positionals[0]!);
  const { info } = checkpoint;
  const summary = {
    path: checkpoint.path,
    architecture: info.architecture,
    modelType: info.modelType,
    namingScheme: info.namingScheme,
    llmLayers: info.llmLayers,
    visionDepth: info.visionDepth,
    configDtype: info.configDtype,
    dtypes: info.dtypes,
    parameterCount: info.parameterCount,
    tensorCount: checkpoint.tensors.length,
    totalBytes: info.totalBytes,
    files: checkpoint.files.map((file) => ({ path: file.path, bytes: file.bytes })),
  };
  if (values.json) return JSON.stringify(summary, null, 2);
  return [
    `${summary.path}`,
    `  architecture   ${summary.architecture ?? 'unknown (no config.json)'}${summary.modelType ? ` (${summary.modelType})` : ''}`,
    `  naming scheme  ${summary.namingScheme}`,
    `  layers         ${summary.llmLayers ?? '?'} LLM${summary.visionDepth === null ? '' : `, ${summary.visionDepth} vision blocks`}`,
    `  parameters     ${summary.parameterCount.toLocaleString('en-US')} in ${summary.tensorCount} tensors`,
    `  dtypes         ${Object.entries(summary.dtypes).map(([dtype, count]) => `${dtype}×${count}`).join(', ')}${summary.configDtype ? ` (config: ${summary.configDtype})` : ''}`,
    `  files          ${summary.files.length} (${(summary.totalBytes / 2 ** 20).toFixed(1)} MiB of tensor data)`,
  ].join('\n');
}
