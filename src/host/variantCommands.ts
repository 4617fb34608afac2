/**
 * "Frankenlens: Score IN, RL and Frankenstein Variants…": the six thirds variants of IN and RL
 * (the roles set in the workspace, else dialogs) answer a benchmark, run from the two checkpoints'
 * weights in place (`frankenlens variants` as a job: progress, Cancel, resumable) → the comparison
 * table and charts in the panel.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { analysisFolder, loadAnalysisContent } from './analysisContent';
import { resolveCheckpointPair } from './checkpointFolders';
import type { CheckpointRoles } from './checkpointRoles';
import { runCliJob } from './cliJob';
import { DiffPanel } from './diffPanel';
import type { HostServices } from './hostServices';
import { readSettings } from './settings';
import { showFailure } from './showFailure';

/** Arguments (IN, RL, items, max new tokens) skip the questions: scripts and tests use them. */
export async function scoreVariants(services: HostServices, roles: CheckpointRoles, args: readonly unknown[]): Promise<void> {
  try {
    const assigned = roles.assignment();
    const pair = args[0] === undefined && assigned.in && assigned.rl ? { inDir: assigned.in, rlDir: assigned.rl } : await resolveCheckpointPair(args.slice(0, 2), undefined);
    if (!pair) return;
    const items = typeof args[2] === 'string' ? args[2] : await pickItems();
    if (!items) return;
    const settings = readSettings();
    const outDir = analysisFolder(settings, 'variants', pair.inDir, pair.rlDir);
    const resume = await resumeOrRestart(outDir);
    if (resume === undefined) return;
    const cliArgs = ['variants', '--in', pair.inDir, '--rl', pair.rlDir, '--items', items, '--out', outDir, '--thirds', '--device', settings.executionProvider];
    if (typeof args[3] === 'number') cliArgs.push('--max-new-tokens', String(args[3]));
    if (settings.threads > 0) cliArgs.push('--threads', String(settings.threads));
    if (resume) cliArgs.push('--resume');
    await runCliJob(services, { title: vscode.l10n.t('Frankenlens: scoring IN, RL and the thirds variants'), args: cliArgs });
    const { message, title } = await loadAnalysisContent(join(outDir, 'variants.summary.json'));
    DiffPanel.createOrShow(services, message, title);
  } catch (error) {
    void showFailure(error, services.log, vscode.l10n.t('Frankenlens: scoring stopped; run it again to continue where it stopped.'));
  }
}

async function pickItems(): Promise<string | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title: vscode.l10n.t('Frankenlens: benchmark items (.jsonl)'),
    canSelectFiles: true,
    canSelectFolders: false,
    canSelectMany: false,
    filters: { JSONL: ['jsonl'] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0]?.fsPath;
}

/** true: continue the stopped sweep; false: start afresh; undefined: the user cancelled. */
async function resumeOrRestart(outDir: string): Promise<boolean | undefined> {
  const answers = join(outDir, 'variants.jsonl');
  if (!existsSync(answers) && !existsSync(join(outDir, 'variants.run.json'))) return false;
  const resume = { label: vscode.l10n.t('Continue the earlier sweep'), detail: vscode.l10n.t('Finished answers are kept; the settings must match.') };
  const restart = { label: vscode.l10n.t('Start over'), detail: vscode.l10n.t('Deletes the answers in {0}', outDir) };
  const answer = await vscode.window.showQuickPick([resume, restart], { title: vscode.l10n.t('Frankenlens: a variant sweep exists here') });
  if (answer === undefined) return undefined;
  if (answer === restart) for (const file of ['variants.jsonl', 'variants.run.json', 'variants.summary.json']) rmSync(join(outDir, file), { force: true });
  return answer === resume;
}
