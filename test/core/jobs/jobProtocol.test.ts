import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fromJobRunnerProblem, jobRequestProblem, toJobRunnerProblem } from '../../../src/core/jobs/jobProtocol';

describe('jobs channel messages', () => {
  it('accepts every well-formed message to the runner', () => {
    assert.equal(toJobRunnerProblem({ type: 'cancel' }), null);
    assert.equal(toJobRunnerProblem({ type: 'start', request: { kind: 'diff', inDir: '/a', rlDir: '/b' } }), null);
    assert.equal(toJobRunnerProblem({ type: 'start', request: { kind: 'demo', dir: '/d', memoryBudget: '4GB' } }), null);
    assert.equal(toJobRunnerProblem({ type: 'start', request: { kind: 'merge', merges: [{ plan: { name: 'p' }, outDir: '/o' }] } }), null);
    assert.equal(toJobRunnerProblem({ type: 'start', request: { kind: 'probe', probe: 'ablation', inDir: '/a', rlDir: '/b', items: '/i', outDir: '/o', runtime: { executionProvider: 'cpu', intraOpThreads: 0 } } }), null);
    assert.equal(jobRequestProblem({ kind: 'variants', inDir: '/a', rlDir: '/b', items: '/i', outDir: '/o', runtime: { executionProvider: 'cpu', intraOpThreads: 0, precision: 'int8' } }), null);
  });

  it('names what is wrong with a malformed request', () => {
    assert.match(toJobRunnerProblem(null)!, /must be an object/);
    assert.match(toJobRunnerProblem({ type: 'stop' })!, /unknown message type "stop"/);
    assert.match(jobRequestProblem({ kind: 'format-disk' })!, /unknown job kind "format-disk"/);
    assert.match(jobRequestProblem({ kind: 'diff', inDir: '/a' })!, /diff job: "rlDir" must be a non-empty string/);
    assert.match(jobRequestProblem({ kind: 'spectral', inDir: '/a', rlDir: '/b' })!, /"outDir"/);
    assert.match(jobRequestProblem({ kind: 'diff', inDir: '/a', rlDir: '/b', baseDir: 3 })!, /"baseDir" must be a string/);
    assert.match(jobRequestProblem({ kind: 'merge', merges: [] })!, /non-empty list/);
    assert.match(jobRequestProblem({ kind: 'merge', merges: [{ outDir: '/o' }] })!, /plan and an outDir/);
    assert.match(jobRequestProblem({ kind: 'variants', inDir: '/a', rlDir: '/b', items: '/i', outDir: '/o' })!, /"runtime"/);
    assert.match(jobRequestProblem({ kind: 'probe', probe: 'swap', inDir: '/a', rlDir: '/b', items: '/i', outDir: '/o', runtime: { executionProvider: 'cpu', precision: 'int4' } })!, /probe job: "runtime.precision" must be one of float32, int8/);
  });

  it('checks what comes back from the runner', () => {
    assert.equal(fromJobRunnerProblem({ type: 'progress', fraction: 0.5, message: 'x' }), null);
    assert.equal(fromJobRunnerProblem({ type: 'log', text: 'x' }), null);
    assert.equal(fromJobRunnerProblem({ type: 'result', result: { kind: 'merge', written: [] } }), null);
    assert.equal(fromJobRunnerProblem({ type: 'error', error: { code: 'FileExists', message: 'm' } }), null);
    assert.match(fromJobRunnerProblem({ type: 'progress', fraction: Number.NaN })!, /finite fraction/);
    assert.match(fromJobRunnerProblem({ type: 'result', result: { kind: 'bogus' } })!, /job kind/);
    assert.match(fromJobRunnerProblem({ type: 'error', error: { message: 'm' } })!, /code and a message/);
    assert.match(fromJobRunnerProblem('progress')!, /must be an object/);
  });
});
