import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { stringify as stringifyYaml } from 'yaml';
import { openCheckpoint, type Checkpoint } from '../../core/checkpoint/checkpoint';
import { FrankenlensError } from '../../core/errors';
import { planFolderName, type MergePlan } from '../../core/merge/mergePlan';
import { readMergekitFile, readPlanFile } from '../../core/merge/planFile';
import { toMergekitYaml } from '../../core/merge/mergekitYaml';
import { freezePlan, thirdsVariants } from '../../core/merge/presets';
import { resolveMerge } from '../../core/merge/resolveMerge';
import type { MergeJob } from '../../core/jobs/jobProtocol';
import { mergeSummary, runMergeJob } from '../../core/jobs/mergeJob';
import { trainerFreezeExport } from '../../core/merge/trainerFreeze';
import type { CancelToken } from '../../core/progress';
import { UsageError } from '../cliErrors';
import { CUTS_USAGE, parseCuts } from '../cutsArgument';
import { withTerminalContext } from '../terminalProgress';

export const MERGE_USAGE = `frankenlens merge (--plan FILE | --mergekit FILE | --in DIR --rl DIR --thirds) --out DIR [options]

Writes Frankenstein checkpoints: decoder layer ranges from different models, as ordinary HF folders.

  --plan FILE          a merge plan (.json or .yaml; see "frankenlens plan")
  --mergekit FILE      a mergekit passthrough YAML to import
  --in DIR --rl DIR    with --thirds: the paper's six variants, one folder each under --out
  --thirds             the six thirds variants (floor(n/3), floor(2n/3) cuts, or --cuts)
  --cuts C             cuts for --thirds: ${CUTS_USAGE}
  --out DIR            output folder (with --thirds, the parent of the six)
  --max-shard-size N   bytes per shard (default 5368709120); suffixes K, M, G allowed
  --overwrite          replace an existing output folder
  --dry-run            validate and print where every part would come from; write nothing
  --quiet              no progress on stderr`;

export const FREEZE_USAGE = `frankenlens freeze --in DIR --rl DIR --layers A-B [--out DIR] [--trainer-export FILE] [options]

The RL checkpoint with HF decoder layers A..B (inclusive) held at IN: the inference-time counterfactual
of freezing that range during RL (not a model trained with it frozen).

  --layers A-B         HF 0-based, inclusive
  --out DIR            where to write the checkpoint
  --trainer-export F   also write the parameter names and regex that freeze the range in your RL trainer
  --max-shard-size N, --overwrite, --dry-run, --quiet as for merge`;

export const PLAN_USAGE = `frankenlens plan --in DIR --rl DIR (--thirds [--cuts A,B] | --freeze A-B) [--format json|yaml|mergekit]

Prints merge plans to edit and pass to "frankenlens merge --plan", or as mergekit YAML.`;

const SHARED_OPTIONS = {
  out: { type: 'string' },
  'max-shard-size': { type: 'string' },
  overwrite: { type: 'boolean', default: false },
  'dry-run': { type: 'boolean', default: false },
  quiet: { type: 'boolean', default: false },
} as const;

export async function mergeCommand(argv: string[], cancel: CancelToken): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: { ...SHARED_OPTIONS, plan: { type: 'string' }, mergekit: { type: 'string' }, in: { type: 'string' }, rl: { type: 'string' }, thirds: { type: 'boolean', default: false }, cuts: { type: 'string' } },
    strict: true,
  });
  if (!values.out && !values['dry-run']) throw new UsageError('merge needs --out DIR');
  const sources = [values.plan, values.mergekit, values.thirds ? 'thirds' : undefined].filter(Boolean);
  if (sources.length !== 1) throw new UsageError('merge needs exactly one of --plan FILE, --mergekit FILE or --thirds');
  let plans: { plan: MergePlan; out: string | undefined }[];
  if (values.thirds) {
    const paths = requirePair(values);
    const layers = layerCount(openCheckpoint(paths.in));
    plans = thirdsVariants(paths, layers, values.cuts === undefined ? undefined : parseCuts(values.cuts, () => layers)).map((plan) => ({ plan, out: values.out ? join(values.out, planFolderName(plan)) : undefined }));
  } else {
    plans = [{ plan: values.plan ? readPlanFile(values.plan) : readMergekitFile(values.mergekit!), out: values.out }];
  }
  return await runPlans(plans, values, cancel);
}

export async function freezeCommand(argv: string[], cancel: CancelToken): Promise<string> {
  const { values } = parseArgs({
    args: argv,
    options: { ...SHARED_OPTIONS, in: { type: 'string' }, rl: { type: 'string' }, layers: { type: 'string' }, 'trainer-export': { type: 'string' } },
    strict: true,
  });
  const paths = requirePair(values);
  if (!values.layers) throw new UsageError('freeze needs --layers A-B (HF 0-based, inclusive)');
  const range = parseLayerRange(values.layers);
  const rl = openCheckpoint(paths.rl);
  const plan = freezePlan(paths, layerCount(rl), range);
  const lines: string[] = [plan.description];
  if (values['trainer-export']) {
    const exported = trainerFreezeExport(range, rl.tensors.map((tensor) => tensor.name));
    writeFileSync(values['trainer-export'], JSON.stringify(exported, null, 2) + '\n');
    lines.push(`trainer export (${exported.parameterNames.length} parameters, regex ${exported.regex}) written to ${resolve(values['trainer-export'])}`);
  }
  if (values.out || values['dry-run']) lines.push(await runPlans([{ plan, out: values.out }], values, cancel));
  else if (!values['trainer-export']) throw new UsageError('freeze needs --out DIR, --trainer-export FILE or --dry-run');
  return lines.join('\n');
}

export function planCommand(argv: string[]): string {
  const { values } = parseArgs({
    args: argv,
    options: { in: { type: 'string' }, rl: { type: 'string' }, thirds: { type: 'boolean', default: false }, cuts: { type: 'string' }, freeze: { type: 'string' }, format: { type: 'string', default: 'json' } },
    strict: true,
  });
  const paths = requirePair(values);
  if (values.thirds === (values.freeze !== undefined)) throw new UsageError('plan needs either --thirds or --freeze A-B');
  const checkpoint = openCheckpoint(paths.in);
  const layers = layerCount(checkpoint);
  const plans = values.thirds ? thirdsVariants(paths, layers, values.cuts === undefined ? undefined : parseCuts(values.cuts, () => layers)) : [freezePlan(paths, layers, parseLayerRange(values.freeze!))];
  switch (values.format) {
    case 'json':
      return JSON.stringify(plans.length === 1 ? plans[0] : plans, null, 2);
    case 'yaml':
      return plans.map((plan) => stringifyYaml(plan)).join('---\n');
    case 'mergekit': {
      const architecture = checkpoint.info.visionDepth === null ? 'decoder-only' : 'qwen2_5_vl';
      const dtype = checkpoint.info.configDtype ?? undefined;
      return plans.map((plan) => `# ${plan.name}\n${toMergekitYaml(plan, { architecture, dtype }).yaml}`).join('---\n');
    }
    default:
      throw new UsageError(`--format must be json, yaml or mergekit, not "${values.format}"`);
  }
}

/** Dry run: what each plan would write; otherwise one merge job writing them in turn. */
async function runPlans(plans: { plan: MergePlan; out: string | undefined }[], values: { 'max-shard-size'?: string; overwrite?: boolean; 'dry-run'?: boolean; quiet?: boolean }, cancel: CancelToken): Promise<string> {
  const targets = plans.filter((entry): entry is { plan: MergePlan; out: string } => entry.out !== undefined);
  if (values['dry-run'] || targets.length === 0) return plans.map(({ plan }) => `${mergeSummary(plan, resolveMerge(plan))} (dry run: nothing written)`).join('\n');
  const job: MergeJob = {
    kind: 'merge',
    merges: targets.map(({ plan, out }) => ({ plan, outDir: resolve(out) })),
    overwrite: values.overwrite,
    maxShardBytes: values['max-shard-size'] ? parseBytes(values['max-shard-size']) : undefined,
  };
  const { written } = await withTerminalContext('merge', values.quiet ?? false, cancel, (context) => runMergeJob(job, context));
  return written.map(({ summary, outDir }) => `${summary}\nwrote ${outDir}`).join('\n');
}

function requirePair(values: { in?: string; rl?: string }): { in: string; rl: string } {
  if (!values.in || !values.rl) throw new UsageError('needs --in DIR and --rl DIR');
  return { in: resolve(values.in), rl: resolve(values.rl) };
}

function layerCount(checkpoint: Checkpoint): number {
  const { info } = checkpoint;
  if (info.llmLayers === null) throw new FrankenlensError('InvalidConfig', `${checkpoint.path}: cannot tell the decoder layer count (no num_hidden_layers in config.json)`, checkpoint.path);
  return info.llmLayers;
}

/** "9-17" → [9, 18): inclusive on the command line, half-open inside. */
function parseLayerRange(text: string): [number, number] {
  const match = /^(\d+)-(\d+)$/.exec(text.trim());
  if (!match || Number(match[2]) < Number(match[1])) throw new UsageError(`--layers must look like 9-17 (HF 0-based, inclusive), not "${text}"`);
  return [Number(match[1]), Number(match[2]) + 1];
}

function parseBytes(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([KMG]?)i?B?$/i.exec(text.trim());
  if (!match) throw new UsageError(`--max-shard-size must be a byte count like 5G or 2000000000, not "${text}"`);
  const scale = { '': 1, K: 2 ** 10, M: 2 ** 20, G: 2 ** 30 }[match[2]!.toUpperCase() as '' | 'K' | 'M' | 'G'];
  return Math.floor(Number(match[1]) * scale);
}
