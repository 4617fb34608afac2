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
import { runJobWithProgress } from './jobs';
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
    await runJobWithProgress(services, vscode.l10n.t('Frankenlens: singular values of the updates'), { kind: 'spectral', inDir: folders.inDir, rlDir: folders.rlDir, baseDir: folders.baseDir, outDir, threads: settings.threads });
    const { message, title } = await loadAnalysisContent(join(outDir, SPECTRAL_JSON));
    DiffPanel.createOrShow(services, message, title);
  } catch (error) {
    void showFailure(error, services.log, vscode.l10n.t('Frankenlens: spectral analysis cancelled.'));
  }
}
