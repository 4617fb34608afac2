/** Where the extension keeps `diff.json`: the same layout the CLI writes, under the workspace. */
import { basename, dirname, resolve } from 'node:path';
import * as vscode from 'vscode';
import { DIFF_SCHEMA, type DiffResult } from '../core/diff/diffResult';
import { DIFF_JSON, writeDiffJson } from '../core/diff/writeDiffJson';
import { FrankenlensError } from '../core/errors';
import { readJsonFileAsync, TABLE_FILE_BYTES } from '../core/regularFile';
import type { CheckpointFolders } from './checkpointFolders';

/**
 * Writes `<workspace>/<resultsFolder>/diff-<in>-vs-<rl>/diff.json` (through a temporary file, so a
 * partial file never looks complete) and returns its path; null when no workspace folder is open.
 */
export function saveDiffResult(result: DiffResult, folders: CheckpointFolders, resultsFolder: string): string | null {
  const file = savedDiffPath(folders, resultsFolder);
  return file === null ? null : writeDiffJson(result, dirname(file));
}

/** Where the comparison of these folders is saved; null when no local workspace folder is open. */
export function savedDiffPath(folders: CheckpointFolders, resultsFolder: string): string | null {
  const root = vscode.workspace.workspaceFolders?.[0];
  if (!root || root.uri.scheme !== 'file') return null;
  return resolve(root.uri.fsPath, resultsFolder, `diff-${basename(folders.inDir)}-vs-${basename(folders.rlDir)}`, DIFF_JSON);
}

/** Reads a `diff.json` back (to restore a panel after a reload). */
export async function loadDiffResult(file: string): Promise<DiffResult> {
  // Regular files of bounded size only: a FIFO or a huge file in the results folder must not hang the host.
  const parsed = await readJsonFileAsync(file, { code: 'InvalidArgument', maxBytes: TABLE_FILE_BYTES });
  const schema = typeof parsed === 'object' && parsed !== null ? (parsed as { schema?: unknown }).schema : undefined;
  if (schema !== DIFF_SCHEMA) throw new FrankenlensError('InvalidArgument', `${file}: not a ${DIFF_SCHEMA} result (schema ${JSON.stringify(schema)})`, file);
  return parsed as DiffResult;
}
