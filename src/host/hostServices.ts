import type * as vscode from 'vscode';
import type { CheckpointFilesWatcher } from './checkpointFilesWatcher';
import type { CheckpointHeaders } from './checkpointHeaders';
import type { CheckpointRoles } from './checkpointRoles';
import type { DiffResultIndex } from './diffResultIndex';

/** What every lazily loaded handler gets from activation. */
export interface HostServices {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
}

/** What the Checkpoints and Analyses views, the role commands and the CodeLenses share. */
export interface WorkspaceCheckpointServices extends HostServices {
  roles: CheckpointRoles;
  headers: CheckpointHeaders;
  diffResults: DiffResultIndex;
  watcher: CheckpointFilesWatcher;
}
