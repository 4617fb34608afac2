import { parseArgs } from 'node:util';
import { runDemoJob } from '../../core/jobs/demoJob';
import type { DemoJobResult } from '../../core/jobs/jobProtocol';
import type { CancelToken } from '../../core/progress';
import { memoryBudgetFlag } from '../memoryBudgetArgument';
import { withTerminalContext } from '../terminalProgress';

export const DEMO_USAGE = `frankenlens demo [--dir DIR] [--regenerate] [--weights-only] [--memory-budget SIZE] [--quiet]

The whole study on built-in synthetic checkpoints, in a few minutes: generates a small Qwen2.5-VL
Base/IN/RL triple (random weights, the RL update planted in HF decoder layers 6–11 of 12; labelled
synthetic in config.json, runnable: tokenizer and processor files included) and a generated
benchmark of shape questions, then runs the weight diff, the spectral analysis, the layer-ablation
and attention-to-vision probes and the six thirds variants' scores, writes the best variant as a
checkpoint (DIR/merges/), and writes DIR/report/index.html linking every result.
  --weights-only   stop after the diff (no model runs)
  --memory-budget SIZE   passed to the probes and the scoring (see "frankenlens probe --help")
  --quiet          no progress on stderr`;

export async function demoCommand(argv: string[], cancel: CancelToken): Promise<DemoJobResult> {
  const { values } = parseArgs({ args: argv, options: { dir: { type: 'string', default: 'demo' }, regenerate: { type: 'boolean', default: false }, 'weights-only': { type: 'boolean', default: false }, 'memory-budget': { type: 'string' }, quiet: { type: 'boolean', default: false } }, strict: true });
  const job = { kind: 'demo', dir: values.dir!, regenerate: values.regenerate, weightsOnly: values['weights-only'], memoryBudget: memoryBudgetFlag(values['memory-budget']) } as const;
  return withTerminalContext('demo', values.quiet!, cancel, (context) => runDemoJob(job, context));
}
