/**
 * "Merge Layer Range…", "Freeze Layer Range…" and "Write the Six Frankenstein Variants…":
 *
 *   IN/RL (arguments, the last comparison, or dialogs) → layers → plan → output folder
 *     → merge job (progress, cancel) → provenance in the log → "Reveal" / "Compare with IN"
 *
 * Arguments (IN, RL as paths or URIs, then `{hfStart, hfEnd}` and, for merges, the supplier 'rl' or
 * 'in') skip the dialogs: the diff panel's buttons and tests use them.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { defaultRegionCuts } from '../core/checkpoint/canonicalNames';
import { openCheckpoint } from '../core/checkpoint/checkpoint';
import { FileReader } from '../core/checkpoint/fileReader';
import { FrankenlensError } from '../core/errors';
import { planFolderName, type MergePlan } from '../core/merge/mergePlan';
import { checkReplaceable } from '../core/outputFolder';
import { thirdsVariants, type PairPaths } from '../core/merge/presets';
import { isHfLayerRange, type HfLayerRange } from '../../webview/protocol';
import { resolveCheckpointPair, type CheckpointPair } from './checkpointFolders';
import { COMPARE_CHECKPOINTS_COMMAND } from './contributionIds';
import { DiffPanel } from './diffPanel';
import type { HostServices } from './hostServices';
import { layerRangeFreezePlan, layerRangeMergePlan, type RangeSupplier } from './layerRangePlan';
import { runJobWithProgress } from './jobs';
import { defaultMergesFolder } from './mergeOutputFolder';
import { askLayerRange, askOutputFolder, askSupplier, confirmReplace } from './mergePrompts';
import { mergeSummaryLines } from './mergeSummary';
import { revealFile } from './revealFile';
import { readSettings } from './settings';
import { showFailure } from './showFailure';

export async function mergeLayerRange(services: HostServices, args: readonly unknown[]): Promise<void> {
  await reportingFailures(services, async () => {
    const pair = await resolveCheckpointPair(args, DiffPanel.currentPair());
    if (!pair) return;
    const layers = decoderLayerCount(pair.inDir);
    const rangeArgument = layerRangeArgument(args[2]);
    const range = rangeArgument ?? (await askLayerRange(layers, vscode.l10n.t('Frankenlens: layers to merge'), lateThird(layers)));
    if (!range) return;
    // A caller that names the range has chosen; RL into IN unless it says otherwise.
    const supplier = rangeArgument ? supplierArgument(args[3]) : await askSupplier(range);
    if (!supplier) return;
    await writeOne(services, layerRangeMergePlan(pairPaths(pair), layers, range, supplier), pair);
  });
}

export async function freezeLayerRange(services: HostServices, args: readonly unknown[]): Promise<void> {
  await reportingFailures(services, async () => {
    const pair = await resolveCheckpointPair(args, DiffPanel.currentPair());
    if (!pair) return;
    const layers = decoderLayerCount(pair.rlDir);
    const range = layerRangeArgument(args[2]) ?? (await askLayerRange(layers, vscode.l10n.t('Frankenlens: layers to hold at IN in RL'), lateThird(layers)));
    if (!range) return;
    await writeOne(services, layerRangeFreezePlan(pairPaths(pair), layers, range), pair);
  });
}

export async function writeThirdsVariants(services: HostServices, args: readonly unknown[]): Promise<void> {
  await reportingFailures(services, async () => {
    const pair = await resolveCheckpointPair(args, DiffPanel.currentPair());
    if (!pair) return;
    const layers = decoderLayerCount(pair.inDir);
    const cuts = defaultRegionCuts(layers);
    const plans = thirdsVariants(pairPaths(pair), layers, cuts);
    const parent = await askOutputFolder(
      vscode.l10n.t('Frankenlens: folder for the six Frankenstein variants'),
      vscode.l10n.t('One subfolder per variant; {0} decoder layers cut at {1} and {2}', layers, cuts[0], cuts[1]),
      defaultMergesFolder(readSettings().resultsFolder, pair),
    );
    if (!parent) return;
    const targets = plans.map((plan) => ({ plan, outDir: join(parent, planFolderName(plan)) }));
    const existing = targets.map((target) => target.outDir).filter((dir) => existsSync(dir));
    // Replacing is offered only for folders frankenlens wrote (marked): anything else is the user's.
    for (const dir of existing) checkReplaceable(dir, true);
    if (existing.length > 0 && !(await confirmReplace(existing))) return;
    // One job and one bar for all six: each variant fills its sixth.
    const { written } = await runJobWithProgress(services, vscode.l10n.t('Frankenlens: writing the six Frankenstein variants'), { kind: 'merge', merges: targets, overwrite: existing.length > 0 });
    for (const { provenance, outDir } of written) for (const line of mergeSummaryLines(provenance, outDir)) services.log.info(line);
    void showWritten(services, vscode.l10n.t('Frankenlens: wrote the six Frankenstein variants to {0}.', parent), parent);
  });
}

async function reportingFailures(services: HostServices, command: () => Promise<void>): Promise<void> {
  try {
    await command();
  } catch (error) {
    // Not awaited: the message waits for the user, and the command should be done (for callers too).
    void showFailure(error, services.log, vscode.l10n.t('Frankenlens: merge cancelled; nothing was left half-written.'));
  }
}

/** Asks where to write `plan`, writes it as a job with a cancellable progress notification. */
async function writeOne(services: HostServices, plan: MergePlan, pair: CheckpointPair): Promise<void> {
  const outDir = await askOutputFolder(
    vscode.l10n.t('Frankenlens: folder for "{0}"', plan.name),
    vscode.l10n.t('The merged checkpoint is written here as a Hugging Face folder, with frankenlens-merge.json'),
    join(defaultMergesFolder(readSettings().resultsFolder, pair), planFolderName(plan)),
  );
  if (!outDir) return;
  const overwrite = existsSync(outDir);
  if (overwrite) checkReplaceable(outDir, true);
  if (overwrite && !(await confirmReplace([outDir]))) return;
  services.log.info(`merge: "${plan.name}" → ${outDir}`);
  const { written } = await runJobWithProgress(services, vscode.l10n.t('Frankenlens: writing "{0}"', plan.name), { kind: 'merge', merges: [{ plan, outDir }], overwrite });
  const { provenance } = written[0]!;
  for (const line of mergeSummaryLines(provenance, outDir)) services.log.info(line);
  void showWritten(services, vscode.l10n.t('Frankenlens: wrote "{0}" to {1}.', plan.name, outDir), outDir, pair);
}

/** The done message; with `pair`, "Compare with IN" diffs the new folder (as RL) against IN. */
async function showWritten(services: HostServices, message: string, folder: string, pair?: CheckpointPair): Promise<void> {
  const reveal = vscode.l10n.t('Reveal in Explorer');
  const compare = vscode.l10n.t('Compare with IN');
  const choice = await vscode.window.showInformationMessage(message, reveal, ...(pair ? [compare] : []));
  if (choice === reveal) await revealFile(vscode.Uri.file(folder), services.log);
  else if (choice === compare && pair) await vscode.commands.executeCommand(COMPARE_CHECKPOINTS_COMMAND, pair.inDir, folder);
}

function pairPaths(pair: CheckpointPair): PairPaths {
  return { in: pair.inDir, rl: pair.rlDir };
}

/** The decoder layer count from config.json (headers only; the merge itself checks both models). */
function decoderLayerCount(dir: string): number {
  const reader = new FileReader();
  try {
    const { info, path } = openCheckpoint(dir, reader);
    if (info.llmLayers === null) throw new FrankenlensError('InvalidConfig', `${path}: cannot tell the decoder layer count (no num_hidden_layers in config.json)`, path);
    return info.llmLayers;
  } finally {
    reader.close();
  }
}

/** The suggested range: the late third (floor(2n/3) to the last layer). */
function lateThird(layers: number): HfLayerRange {
  return { hfStart: defaultRegionCuts(layers)[1], hfEnd: layers - 1 };
}

function layerRangeArgument(arg: unknown): HfLayerRange | undefined {
  if (arg === undefined || arg === null) return undefined;
  if (!isHfLayerRange(arg)) throw new FrankenlensError('InvalidArgument', vscode.l10n.t('a layer range must be an object with integers hfStart ≤ hfEnd (HF 0-based), not {0}', JSON.stringify(arg) ?? typeof arg));
  return { hfStart: arg.hfStart, hfEnd: arg.hfEnd };
}

function supplierArgument(arg: unknown): RangeSupplier {
  if (arg === undefined || arg === null) return 'rl';
  if (arg === 'rl' || arg === 'in') return arg;
  throw new FrankenlensError('InvalidArgument', vscode.l10n.t('the model that gives the layers must be "rl" or "in", not {0}', JSON.stringify(arg) ?? typeof arg));
}
