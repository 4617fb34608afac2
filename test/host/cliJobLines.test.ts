import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FrankenlensError } from '../../src/core/errors';
import { parseJobLine } from '../../src/host/cliJobLines';

const cli = join(__dirname, '..', '..', 'dist', 'cli.js');
const fixtures = join(__dirname, '..', '..', 'test', 'fixtures');

describe('CLI job lines', () => {
  it('reads progress, clamped to 0..1, with or without a message', () => {
    assert.deepEqual(parseJobLine('{"fraction":0.25,"message":"spectral: layer 3"}'), { kind: 'progress', progress: { fraction: 0.25, message: 'spectral: layer 3' } });
    assert.deepEqual(parseJobLine('{"fraction":1.5}'), { kind: 'progress', progress: { fraction: 1 } });
  });

  it('rebuilds the core error with its code and file', () => {
    const parsed = parseJobLine('{"error":{"code":"NotACheckpoint","message":"/x: no .safetensors files","file":"/x"}}');
    assert.equal(parsed.kind, 'error');
    assert.ok(parsed.kind === 'error' && parsed.error instanceof FrankenlensError);
    assert.deepEqual(parsed.kind === 'error' && parsed.error.toJSON(), { code: 'NotACheckpoint', message: '/x: no .safetensors files', file: '/x', tensor: undefined });
  });

  it('keeps anything else as a log line', () => {
    assert.deepEqual(parseJobLine('frankenlens: error: boom'), { kind: 'log', text: 'frankenlens: error: boom' });
    assert.deepEqual(parseJobLine('{not json'), { kind: 'log', text: '{not json' });
    assert.deepEqual(parseJobLine('{"fraction":"half"}'), { kind: 'log', text: '{"fraction":"half"}' });
  });

  it('parses what the real CLI writes in job mode: progress lines, then the error line of a bad input', () => {
    const env = { ...process.env, FRANKENLENS_PROGRESS: 'json' };
    const tiny = join(fixtures, 'qwen2_5_vl_tiny');
    const out = mkdtempSync(join(tmpdir(), 'frankenlens-cli-job-'));
    const good = spawnSync(process.execPath, [cli, 'diff', '--in', tiny, '--rl', tiny, '--out', out, '--no-report'], { env, encoding: 'utf8' });
    rmSync(out, { recursive: true, force: true });
    assert.equal(good.status, 0, good.stderr);
    const progress = good.stderr.split('\n').filter(Boolean).map(parseJobLine).filter((line) => line.kind === 'progress');
    assert.ok(progress.length >= 2, good.stderr);
    assert.equal(progress.at(-1)!.kind === 'progress' && progress.at(-1)!.progress.fraction, 1);

    const bad = spawnSync(process.execPath, [cli, 'diff', '--in', fixtures, '--rl', tiny], { env, encoding: 'utf8' });
    assert.equal(bad.status, 3);
    const errors = bad.stderr.split('\n').map(parseJobLine).filter((line) => line.kind === 'error');
    assert.equal(errors.length, 1, bad.stderr);
    assert.ok(errors[0].kind === 'error' && errors[0].error.code === 'NotACheckpoint' && errors[0].error.file === fixtures);
  });
});
