import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CheckpointRoles, type RoleAssignment, type RoleStorage } from '../../src/host/checkpointRoles';

/** An in-memory stand-in for `ExtensionContext.workspaceState`. */
function memoryStorage(initial: Record<string, unknown> = {}): RoleStorage & { values: Record<string, unknown> } {
  const values = { ...initial };
  return {
    values,
    get: <T>(key: string) => values[key] as T | undefined,
    update: async (key: string, value: unknown) => {
      values[key] = value;
    },
  };
}

describe('CheckpointRoles', () => {
  it('stores one folder per role and tells each folder its role', async () => {
    const roles = new CheckpointRoles(memoryStorage());
    await roles.assign('in', '/ckpt/in');
    await roles.assign('rl', '/ckpt/rl/');
    assert.deepEqual(roles.assignment(), { in: '/ckpt/in', rl: '/ckpt/rl' });
    assert.equal(roles.roleOf('/ckpt/rl'), 'rl');
    assert.equal(roles.roleOf('/ckpt/in/'), 'in');
    assert.equal(roles.roleOf('/ckpt/base'), undefined);
  });

  it('moves a role to the new folder and takes the old role from a folder that gets a new one', async () => {
    const roles = new CheckpointRoles(memoryStorage());
    await roles.assign('in', '/ckpt/a');
    await roles.assign('in', '/ckpt/b');
    assert.equal(roles.folder('in'), '/ckpt/b');
    await roles.assign('rl', '/ckpt/b');
    assert.deepEqual(roles.assignment(), { rl: '/ckpt/b' });
  });

  it('survives a reload through its storage and ignores malformed stored values', () => {
    const storage = memoryStorage({ 'frankenlens.checkpointRoles': { in: '/ckpt/in', rl: 42, base: '' } });
    assert.deepEqual(new CheckpointRoles(storage).assignment(), { in: '/ckpt/in' });
    assert.deepEqual(new CheckpointRoles(memoryStorage({ 'frankenlens.checkpointRoles': 'nonsense' })).assignment(), {});
  });

  it('tells listeners after each change, until they stop listening', async () => {
    const roles = new CheckpointRoles(memoryStorage());
    const seen: RoleAssignment[] = [];
    const listener = roles.onDidChange((assignment) => seen.push(assignment));
    await roles.assign('base', '/ckpt/base');
    listener.dispose();
    await roles.assign('in', '/ckpt/in');
    assert.deepEqual(seen, [{ base: '/ckpt/base' }]);
  });

  it('starts from the workspace default roles, and a role set by hand wins over them', async () => {
    let defaults: RoleAssignment = { in: '/ckpt/sft', rl: '/ckpt/grpo' };
    const roles = new CheckpointRoles(memoryStorage(), () => defaults);
    assert.deepEqual(roles.assignment(), { in: '/ckpt/sft', rl: '/ckpt/grpo' });
    assert.equal(roles.roleOf('/ckpt/grpo/'), 'rl');

    // The default RL folder set as IN by hand: IN moves there, and no folder is RL any more.
    await roles.assign('in', '/ckpt/grpo');
    assert.deepEqual(roles.assignment(), { in: '/ckpt/grpo' });

    // Defaults are read on every call: an edited setting applies without a reload.
    defaults = { base: '/ckpt/base' };
    assert.deepEqual(roles.assignment(), { base: '/ckpt/base', in: '/ckpt/grpo' });
  });

  it('tells listeners when asked to, after the default roles changed', () => {
    let defaults: RoleAssignment = {};
    const roles = new CheckpointRoles(memoryStorage(), () => defaults);
    const seen: RoleAssignment[] = [];
    roles.onDidChange((assignment) => seen.push(assignment));
    defaults = { rl: '/ckpt/rl' };
    roles.notify();
    assert.deepEqual(seen, [{ rl: '/ckpt/rl' }]);
  });
});
