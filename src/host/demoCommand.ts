/**
 * "Frankenlens: Run the Demo Study": the CLI's whole study (synthetic checkpoints, benchmark, diff,
 * spectra, probes, variant scores) as a job into the results folder, so the Analyses view lists
 * every result; the comparison opens in the panel and the study page is one click away.
 */
import { join } from 'node:path';
import * as vscode from 'vscode';
import { FrankenlensError } from '../core/errors';
import { STUDY_INDEX_HTML } from '../core/report/studyReport';
import { runJobWithProgress } from './jobs';
import type { HostServices } from './hostServices';
import { openDiffResult } from './openDiffResult';
import { readSettings, resultsFolderPath } from './settings';
import { showFailure } from './showFailure';

export async function runDemoStudy(services: HostServices): Promise<void> {
  try {
    const settings = readSettings();
    const results = resultsFolderPath(settings);
    if (results === undefined) throw new FrankenlensError('InvalidArgument', vscode.l10n.t('open a folder first: the demo study is written into its results folder ({0})', settings.resultsFolder));
    const dir = join(results, 'demo');
    await runJobWithProgress(services, vscode.l10n.t('Frankenlens: demo study (synthetic checkpoints)'), { kind: 'demo', dir, memoryBudget: settings.memoryBudget || undefined });
    await openDiffResult(services, vscode.Uri.file(join(dir, 'report', 'diff.json')));
    const openPage = vscode.l10n.t('Open Study Page');
    // Not awaited: the command is done once the results are shown; the message waits for the user.
    void vscode.window
      .showInformationMessage(vscode.l10n.t('Frankenlens: demo study written to {0}; the Analyses view lists its spectra, probes and variant scores.', dir), openPage)
      .then((choice) => (choice === openPage ? vscode.env.openExternal(vscode.Uri.file(join(dir, 'report', STUDY_INDEX_HTML))) : undefined));
  } catch (error) {
    void showFailure(error, services.log, vscode.l10n.t('Frankenlens: demo study cancelled.'));
  }
}
