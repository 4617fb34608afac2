/**
 * The questions every resumable job asks before it starts (probes, variant sweeps): which IN and
 * RL, which benchmark items, and what to do with a run already in the output folder.
 */
import { existsSync, rmSync } from 'node:fs';
import * as vscode from 'vscode';
import { resolveCheckpointPair, type CheckpointPair } from './checkpointFolders';
import type { CheckpointRoles } from './checkpointRoles';

/** IN and RL from the workspace roles when both are set and no argument names them, else arguments or dialogs. */
export async function pairFromRoles(roles: CheckpointRoles, args: readonly unknown[]): Promise<CheckpointPair | undefined> {
  const assigned = roles.assignment();
  if (args.every((arg) => arg === undefined) && assigned.in && assigned.rl) return { inDir: assigned.in, rlDir: assigned.rl };
  return resolveCheckpointPair(args, undefined);
}

/** A benchmark item file (.jsonl) from the open dialog. */
export async function pickBenchmarkItems(): Promise<string | undefined> {
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

/** What scripted callers choose for a run already there, instead of being asked. */
export type ExistingRunChoice = 'resume' | 'restart';

export function isExistingRunChoice(value: unknown): value is ExistingRunChoice {
  return value === 'resume' || value === 'restart';
}

export interface ExistingRunQuestion {
  /** Every file of the run (records, settings, summary): any of them present means a run exists. */
  files: readonly string[];
  title: string;
  resumeLabel: string;
  resumeDetail: string;
  /** Skips the question (scripts and tests). */
  choice?: ExistingRunChoice;
}

/**
 * true: continue the run in the folder; false: start afresh (its files are deleted, all of them,
 * since the CLI refuses a folder that still holds a run's settings); undefined: the user cancelled.
 */
export async function resumeOrRestart(question: ExistingRunQuestion): Promise<boolean | undefined> {
  const present = question.files.filter((file) => existsSync(file));
  if (present.length === 0) return false;
  let choice = question.choice;
  if (choice === undefined) {
    const resume = { label: question.resumeLabel, detail: question.resumeDetail, choice: 'resume' as const };
    const restart = { label: vscode.l10n.t('Start over'), detail: vscode.l10n.t('Deletes {0}', present.join(', ')), choice: 'restart' as const };
    choice = (await vscode.window.showQuickPick([resume, restart], { title: question.title }))?.choice;
    if (choice === undefined) return undefined;
  }
  if (choice === 'restart') for (const file of present) rmSync(file, { force: true });
  return choice === 'resume';
}
