/**
 * "Frankenlens: Analyse Update Spectra": IN, RL and an optional Base (arguments or dialogs) →
 * `frankenlens spectral` as a job (progress, Cancel) → spectral.json under the results folder →
 * its charts in the panel.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { SPECTRAL_JSON } from '../core/spectral/writeSpectralJson';
import { analysisFolder, loadAnalysisContent } from './analysisContent';
import { resolveCheckpointFolders } from './checkpointFolders';
import { runCliJob } from './cliJob';
import { DiffPanel } from './diffPanel';
import type { HostServices } from './hostServices';
import { readSettings } from './settings';
import { showFailure } from './showFailure';

export async function spectralAnalysis(services: HostServices, args: readonly unknown[]): Promise<void> {
  try {
    const folders = await resolveCheckpointFolders(args);
    if (!folders) return;
    const settings = readSettings();
    const outDir = analysisFolder(settings, 'spectral', folders.inDir, folders.rlDir);
    const cliArgs = ['spectral', '--in', folders.inDir, '--rl', folders.rlDir, ...(folders.baseDir ? ['--base', folders.baseDir] : []), '--out', outDir];
    if (settings.threads > 0) cliArgs.push('--threads', String(settings.threads));
    await runCliJob(services, { title: vscode.l10n.t('Frankenlens: singular values of the updates'), args: cliArgs });
    const { message, title } = await loadAnalysisContent(join(outDir, SPECTRAL_JSON));
    DiffPanel.createOrShow(services, message, title);
  } catch (error) {
    void showFailure(error, services.log, vscode.l10n.t('Frankenlens: spectral analysis cancelled.'));
  }
}
