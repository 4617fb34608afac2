/**
 * "Frankenlens: Run Probe…": attention to vision, layer ablation or visual-token swap on IN and RL
 * (the roles set in the workspace, else dialogs) → `frankenlens probe` as a job (progress with
 * ETA, Cancel) → `<probe>.summary.json` under the results folder → its charts in the panel. A run
 * that was stopped can be continued: finished items are kept.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { FrankenlensError } from '../core/errors';
import { CONDITIONS, type Condition } from '../core/probes/conditions';
import type { ProbeName } from '../core/probes/probeResult';
import { analysisFolder, loadAnalysisContent } from './analysisContent';
import type { CheckpointRoles } from './checkpointRoles';
import { runJobWithProgress } from './jobs';
import { DiffPanel } from './diffPanel';
import type { HostServices } from './hostServices';
import { isExistingRunChoice, pairFromRoles, pickBenchmarkItems, resumeOrRestart, type ExistingRunChoice } from './runPrompts';
import { readSettings, runtimeChoice } from './settings';
import { showFailure } from './showFailure';

const PROBES: { probe: ProbeName; label: () => string; detail: () => string }[] = [
  { probe: 'attention', label: () => vscode.l10n.t('Attention to vision'), detail: () => vscode.l10n.t('Attention mass from the response to the image tokens per layer, RL − IN with bootstrap intervals') },
  { probe: 'ablation', label: () => vscode.l10n.t('Layer ablation'), detail: () => vscode.l10n.t('Accuracy with each decoder layer replaced by the identity (Wilson intervals)') },
  { probe: 'swap', label: () => vscode.l10n.t('Visual-token swap'), detail: () => vscode.l10n.t("The image tokens' K/V from a source image, per layer: change and source-adoption rates") },
];

/**
 * What scripted callers may add after the arguments: decoder layers ("A-B" or "A,B,…"), a token
 * budget, and what to do with a run already in the output folder.
 */
interface ProbeRunOptions {
  layers?: string;
  maxNewTokens?: number;
  existingRun?: ExistingRunChoice;
}

function probeRunOptions(value: unknown): ProbeRunOptions {
  if (value === undefined) return {};
  const record = value as Record<string, unknown>;
  if (typeof value !== 'object' || value === null) throw new FrankenlensError('InvalidArgument', vscode.l10n.t('probe options must be an object'));
  if (record.layers !== undefined && typeof record.layers !== 'string') throw new FrankenlensError('InvalidArgument', vscode.l10n.t('probe option "layers" must be a string such as "4-9"'));
  if (record.maxNewTokens !== undefined && !(Number.isSafeInteger(record.maxNewTokens) && (record.maxNewTokens as number) > 0)) {
    throw new FrankenlensError('InvalidArgument', vscode.l10n.t('probe option "maxNewTokens" must be a positive whole number'));
  }
  if (record.existingRun !== undefined && !isExistingRunChoice(record.existingRun)) {
    throw new FrankenlensError('InvalidArgument', vscode.l10n.t('probe option "existingRun" must be "resume" or "restart"'));
  }
  return { layers: record.layers as string | undefined, maxNewTokens: record.maxNewTokens as number | undefined, existingRun: record.existingRun };
}

/** Arguments (probe, IN, RL, items, condition, options) skip the questions: scripts and tests use them. */
export async function runProbe(services: HostServices, roles: CheckpointRoles, args: readonly unknown[]): Promise<void> {
  try {
    const options = probeRunOptions(args[5]);
    const probe = (args[0] as ProbeName | undefined) ?? (await pickProbe());
    if (!probe) return;
    const pair = await pairFromRoles(roles, args.slice(1, 3));
    if (!pair) return;
    const items = typeof args[3] === 'string' ? args[3] : await pickItems(probe);
    if (!items) return;
    const condition = probe === 'swap' ? undefined : isCondition(args[4]) ? args[4] : await pickCondition();
    if (probe !== 'swap' && !condition) return;

    const settings = readSettings();
    const outDir = analysisFolder(settings, 'probes', pair.inDir, pair.rlDir);
    const resume = await resumeOrRestart({
      files: ['jsonl', 'run.json', 'summary.json'].map((extension) => join(outDir, `${probe}.${extension}`)),
      title: vscode.l10n.t('Frankenlens: a {0} run exists here', probe),
      resumeLabel: vscode.l10n.t('Continue the earlier run'),
      resumeDetail: vscode.l10n.t('Finished items are kept; the settings must match.'),
      choice: options.existingRun,
    });
    if (resume === undefined) return;
    await runJobWithProgress(services, vscode.l10n.t('Frankenlens: {0} probe', probe), {
      kind: 'probe',
      probe,
      inDir: pair.inDir,
      rlDir: pair.rlDir,
      items,
      outDir,
      condition,
      layers: options.layers,
      maxNewTokens: options.maxNewTokens,
      resume,
      runtime: runtimeChoice(settings),
      memoryBudget: settings.memoryBudget || undefined,
    });
    const { message, title } = await loadAnalysisContent(join(outDir, `${probe}.summary.json`));
    DiffPanel.createOrShow(services, message, title);
  } catch (error) {
    void showFailure(error, services.log, vscode.l10n.t('Frankenlens: probe stopped; run it again to continue where it stopped.'));
  }
}

async function pickProbe(): Promise<ProbeName | undefined> {
  const picked = await vscode.window.showQuickPick(
    PROBES.map((entry) => ({ label: entry.label(), detail: entry.detail(), probe: entry.probe })),
    { title: vscode.l10n.t('Frankenlens: which probe?') },
  );
  return picked?.probe;
}

async function pickItems(probe: ProbeName): Promise<string | undefined> {
  if (probe !== 'swap') return pickBenchmarkItems();
  const picked = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Frankenlens: vision_functionality_dataset folder (source/target image pairs)'),
    canSelectFiles: false,
    canSelectFolders: true,
    canSelectMany: false,
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}

async function pickCondition(): Promise<Condition | undefined> {
  const picked = await vscode.window.showQuickPick(
    [
      { label: vscode.l10n.t('Real image'), condition: 'real' as const },
      { label: vscode.l10n.t('Black image of the same size'), condition: 'black' as const },
      { label: vscode.l10n.t('Black image + text description'), condition: 'black+description' as const },
    ],
    { title: vscode.l10n.t('Frankenlens: input condition') },
  );
  return picked?.condition;
}

function isCondition(value: unknown): value is Condition {
  return CONDITIONS.includes(value as Condition);
}
