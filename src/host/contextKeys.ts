/** The one place `frankenlens:*` context keys are set, so menus' `when` clauses and code agree on names. */
import * as vscode from 'vscode';
import type { RoleAssignment } from './checkpointRoles';

export type FrankenlensContextKey = 'frankenlens:hasIn' | 'frankenlens:hasRl';

export function setContextKey(key: FrankenlensContextKey, value: boolean): void {
  void vscode.commands.executeCommand('setContext', key, value);
}

/** Keeps `frankenlens:hasIn` / `frankenlens:hasRl` in step with the stored roles. */
export function syncRoleContextKeys(roles: RoleAssignment): void {
  setContextKey('frankenlens:hasIn', roles.in !== undefined);
  setContextKey('frankenlens:hasRl', roles.rl !== undefined);
}
