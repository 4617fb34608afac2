/**
 * "Frankenlens: Score IN, RL and Frankenstein Variants…": the six thirds variants of IN and RL
 * (the roles set in the workspace, else dialogs) answer a benchmark, run from the two checkpoints'
 * weights in place (`frankenlens variants` as a job: progress, Cancel, resumable) → the comparison
 * table and charts in the panel.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { analysisFolder, loadAnalysisContent } from './analysisContent';
import type { CheckpointRoles } from './checkpointRoles';
import { runJobWithProgress } from './jobs';
import { DiffPanel } from './diffPanel';
import type { HostServices } from './hostServices';
import { isExistingRunChoice, pairFromRoles, pickBenchmarkItems, resumeOrRestart } from './runPrompts';
import { readSettings, runtimeChoice } from './settings';
import { showFailure } from './showFailure';

/**
 * Arguments (IN, RL, items, max new tokens, and "resume" or "restart" for a sweep already there)
 * skip the questions: scripts and tests use them.
 */
export async function scoreVariants(services: HostServices, roles: CheckpointRoles, args: readonly unknown[]): Promise<void> {
  try {
    const pair = await pairFromRoles(roles, args.slice(0, 2));
    if (!pair) return;
    const items = typeof args[2] === 'string' ? args[2] : await pickBenchmarkItems();
    if (!items) return;
    const settings = readSettings();
    const outDir = analysisFolder(settings, 'variants', pair.inDir, pair.rlDir);
    const resume = await resumeOrRestart({
      files: ['variants.jsonl', 'variants.run.json', 'variants.summary.json'].map((file) => join(outDir, file)),
      title: vscode.l10n.t('Frankenlens: a variant sweep exists here'),
      resumeLabel: vscode.l10n.t('Continue the earlier sweep'),
      resumeDetail: vscode.l10n.t('Finished answers are kept; the settings must match.'),
      choice: isExistingRunChoice(args[4]) ? args[4] : undefined,
    });
    if (resume === undefined) return;
    await runJobWithProgress(services, vscode.l10n.t('Frankenlens: scoring IN, RL and the thirds variants'), {
      kind: 'variants',
      inDir: pair.inDir,
      rlDir: pair.rlDir,
      items,
      outDir,
      thirds: true,
      maxNewTokens: typeof args[3] === 'number' ? args[3] : undefined,
      resume,
      runtime: runtimeChoice(settings),
      memoryBudget: settings.memoryBudget || undefined,
    });
    const { message, title } = await loadAnalysisContent(join(outDir, 'variants.summary.json'));
    DiffPanel.createOrShow(services, message, title);
  } catch (error) {
    void showFailure(error, services.log, vscode.l10n.t('Frankenlens: scoring stopped; run it again to continue where it stopped.'));
  }
}
