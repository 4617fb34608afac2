/**
 * Which workspace checkpoints are IN, RL and Base: one folder per role, one role per folder,
 * kept in workspace state so they survive reloads. Roles set by hand win over the defaults a
 * workspace declares in its settings (a study's shared .vscode/settings.json). Pure (storage,
 * defaults and listeners are injected).
 */
import { resolve } from 'node:path';

export type CheckpointRole = 'in' | 'rl' | 'base';
export type RoleAssignment = Partial<Record<CheckpointRole, string>>;

/** What `vscode.Memento` offers, narrowed to what roles need. */
export interface RoleStorage {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void>;
}

const STORAGE_KEY = 'frankenlens.checkpointRoles';
const ROLES: readonly CheckpointRole[] = ['in', 'rl', 'base'];
export const ROLE_LABELS: Record<CheckpointRole, string> = { in: 'IN', rl: 'RL', base: 'Base' };

export class CheckpointRoles {
  private readonly listeners = new Set<(roles: RoleAssignment) => void>();

  /** `defaults` gives absolute folders; it is asked again on every read, so settings edits apply at once. */
  constructor(
    private readonly storage: RoleStorage,
    private readonly defaults: () => RoleAssignment = () => ({}),
  ) {}

  assignment(): RoleAssignment {
    const roles: RoleAssignment = {};
    const defaults = this.defaults();
    for (const role of ROLES) if (defaults[role] !== undefined) giveRole(roles, role, defaults[role]);
    const stored = this.storedAssignment();
    for (const role of ROLES) if (stored[role] !== undefined) giveRole(roles, role, stored[role]);
    return roles;
  }

  folder(role: CheckpointRole): string | undefined {
    return this.assignment()[role];
  }

  roleOf(folder: string): CheckpointRole | undefined {
    const target = resolve(folder);
    const roles = this.assignment();
    return ROLES.find((role) => roles[role] !== undefined && resolve(roles[role]) === target);
  }

  /** Gives `folder` the role, taking it from the folder that had it and any other role from `folder`. */
  async assign(role: CheckpointRole, folder: string): Promise<void> {
    const stored = this.storedAssignment();
    giveRole(stored, role, folder);
    await this.storage.update(STORAGE_KEY, stored);
    this.notify();
  }

  /** Tells listeners the assignment may have changed (the default roles' settings were edited). */
  notify(): void {
    const roles = this.assignment();
    for (const listener of this.listeners) listener(roles);
  }

  private storedAssignment(): RoleAssignment {
    const stored = this.storage.get<unknown>(STORAGE_KEY);
    if (typeof stored !== 'object' || stored === null) return {};
    const roles: RoleAssignment = {};
    for (const role of ROLES) {
      const path = (stored as Record<string, unknown>)[role];
      if (typeof path === 'string' && path.length > 0) roles[role] = path;
    }
    return roles;
  }

  /** Calls `listener` after every change; returns what stops it. */
  onDidChange(listener: (roles: RoleAssignment) => void): { dispose(): void } {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }
}

/** Gives `folder` the role in `roles`, taking any other role away from that folder. */
function giveRole(roles: RoleAssignment, role: CheckpointRole, folder: string): void {
  const target = resolve(folder);
  for (const other of ROLES) {
    if (roles[other] !== undefined && resolve(roles[other]) === target) delete roles[other];
  }
  roles[role] = target;
}
