import { isAbsolute, resolve } from 'node:path';
import * as vscode from 'vscode';
import type { RuntimeChoice } from '../core/jobs/jobProtocol';
import { WEIGHT_PRECISIONS, type WeightPrecision } from '../core/model/graphOps';
import type { RoleAssignment } from './checkpointRoles';

/** The `frankenlens.*` settings, checked once here so handlers never see a malformed value. */
export interface FrankenlensSettings {
  /** Worker threads for weight analyses; 0 means every core. */
  threads: number;
  /** Results folder, relative to the first workspace folder (or absolute). */
  resultsFolder: string;
  /** Whether checkpoint paths in training code get CodeLenses. */
  codeLensEnabled: boolean;
  /** Checkpoint folders the workspace declares as IN, RL and Base, as written (relative or absolute). */
  defaultRoles: RoleAssignment;
  /** Where models run: CUDA when onnxruntime can load it (auto), or forced. */
  executionProvider: 'auto' | 'cpu' | 'cuda';
  /** Memory a model run may use, as written ("48GB"); '' = the machine's free memory. Checked before a model job loads anything. */
  memoryBudget: string;
  /** How probes and sweeps hold decoder weights: float32, or int8 (opt-in, CPU; every result then carries its agreement with float32). */
  precision: WeightPrecision;
}

const DEFAULTS: FrankenlensSettings = { threads: 0, resultsFolder: '.frankenlens', codeLensEnabled: true, defaultRoles: {}, executionProvider: 'auto', memoryBudget: '', precision: 'float32' };
const EXECUTION_PROVIDERS = ['auto', 'cpu', 'cuda'] as const;

export function readSettings(): FrankenlensSettings {
  const configuration = vscode.workspace.getConfiguration('frankenlens');
  const threads = configuration.get<unknown>('threads');
  const resultsFolder = configuration.get<unknown>('resultsFolder');
  const codeLensEnabled = configuration.get<unknown>('codeLens.enabled');
  const executionProvider = configuration.get<unknown>('executionProvider');
  const memoryBudget = configuration.get<unknown>('memoryBudget');
  const precision = configuration.get<unknown>('precision');
  const defaultRoles: RoleAssignment = {};
  for (const role of ['in', 'rl', 'base'] as const) {
    const folder = configuration.get<unknown>(`defaultRoles.${role}`);
    if (typeof folder === 'string' && folder.trim() !== '') defaultRoles[role] = folder.trim();
  }
  return {
    threads: Number.isSafeInteger(threads) && (threads as number) >= 0 ? (threads as number) : DEFAULTS.threads,
    resultsFolder: typeof resultsFolder === 'string' && resultsFolder.trim() !== '' ? resultsFolder.trim() : DEFAULTS.resultsFolder,
    codeLensEnabled: typeof codeLensEnabled === 'boolean' ? codeLensEnabled : DEFAULTS.codeLensEnabled,
    defaultRoles,
    executionProvider: EXECUTION_PROVIDERS.find((choice) => choice === executionProvider) ?? DEFAULTS.executionProvider,
    memoryBudget: typeof memoryBudget === 'string' ? memoryBudget.trim() : DEFAULTS.memoryBudget,
    precision: WEIGHT_PRECISIONS.find((choice) => choice === precision) ?? DEFAULTS.precision,
  };
}

/**
 * Where and how the probe and scoring jobs run models. int8 is a CPU mode: with it, `auto` runs on
 * the CPU (an explicit `cuda` is refused by the run with its reason).
 */
export function runtimeChoice(settings: FrankenlensSettings): RuntimeChoice {
  if (settings.precision === 'float32') return { executionProvider: settings.executionProvider, intraOpThreads: settings.threads };
  return { executionProvider: settings.executionProvider === 'auto' ? 'cpu' : settings.executionProvider, intraOpThreads: settings.threads, precision: settings.precision };
}

/** The results folder as an absolute path; undefined when no local workspace folder is open. */
export function resultsFolderPath(settings: FrankenlensSettings = readSettings()): string | undefined {
  const root = vscode.workspace.workspaceFolders?.[0];
  if (!root || root.uri.scheme !== 'file') return undefined;
  return resolve(root.uri.fsPath, settings.resultsFolder);
}

/** The default roles as absolute folders (relative ones against the first local workspace folder). */
export function defaultRoleFolders(settings: FrankenlensSettings = readSettings()): RoleAssignment {
  const root = vscode.workspace.workspaceFolders?.[0];
  const rootPath = root?.uri.scheme === 'file' ? root.uri.fsPath : undefined;
  const folders: RoleAssignment = {};
  for (const [role, folder] of Object.entries(settings.defaultRoles) as [keyof RoleAssignment, string][]) {
    if (isAbsolute(folder)) folders[role] = folder;
    else if (rootPath !== undefined) folders[role] = resolve(rootPath, folder);
  }
  return folders;
}
