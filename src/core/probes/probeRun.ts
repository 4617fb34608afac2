/**
 * The resumable runner every probe uses. Work is a list of units (one item for one or both
 * models); each finished unit is appended to `<probe>.jsonl` as one complete line, in a single
 * write. A restarted run (resume) reads that file, drops a torn last line, and skips the units
 * whose keys are there, so a cancelled run continues where it stopped. The settings are kept in
 * `<probe>.run.json`; resuming with different settings is refused. Progress reports carry an ETA
 * from the units run in this session; cancellation is checked between units (and inside them by
 * the model calls).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { writeJsonAtomic } from '../atomicWrite';
import { FrankenlensError } from '../errors';
import { throwIfCancelled, type CancelToken, type ProgressSink } from '../progress';
import type { ProbeName } from './probeResult';

export interface ProbeUnit<R> {
  key: string;
  label: string;
  run: () => Promise<R>;
  /** Frees what this unit's model holds: called once no unit left to run has the same function (a model is unloaded as soon as its items are done). */
  release?: () => Promise<void>;
}

export interface ProbeRunOptions<R> {
  probe: ProbeName;
  outDir: string;
  /** What defines the results (models, items, settings): compared on resume. */
  settings: unknown;
  units: readonly ProbeUnit<R>[];
  resume?: boolean;
  progress?: ProgressSink;
  cancel?: CancelToken;
}

export interface ProbeRunResult<R> {
  /** Every unit's record, in unit order (earlier sessions' included). */
  records: R[];
  /** Units found finished and skipped. */
  resumed: number;
}

export const itemsFile = (outDir: string, probe: ProbeName) => join(outDir, `${probe}.jsonl`);
const runFile = (outDir: string, probe: ProbeName) => join(outDir, `${probe}.run.json`);

export async function runProbeUnits<R extends { key: string }>(options: ProbeRunOptions<R>): Promise<ProbeRunResult<R>> {
  const { probe, outDir, units } = options;
  mkdirSync(outDir, { recursive: true });
  const items = itemsFile(outDir, probe);
  const run = runFile(outDir, probe);
  const finished = new Map<string, R>();
  const earlier = openResumableRun<R>({
    outDir, recordsFile: items, runFile: run, kind: `a ${probe} run`, mismatch: 'the saved run used other settings',
    settings: options.settings, record: { probe }, resume: options.resume,
  });
  for (const record of earlier) finished.set(record.key, record);

  const todo = units.filter((unit) => !finished.has(unit.key));
  const started = performance.now();
  let done = 0;
  const report = (message: string) => {
    const elapsed = (performance.now() - started) / 1000;
    const eta = done > 0 ? ` · ETA ${formatSeconds((elapsed / done) * (todo.length - done))}` : '';
    options.progress?.report({ fraction: (units.length - todo.length + done) / Math.max(1, units.length), message: `${message}${eta}` });
  };
  for (const [index, unit] of todo.entries()) {
    throwIfCancelled(options.cancel);
    report(`${probe}: ${unit.label} (${units.length - todo.length + done + 1}/${units.length})`);
    const record = await unit.run();
    if (record.key !== unit.key) throw new Error(`probe unit ${unit.key} returned a record keyed ${record.key}`);
    appendFileSync(items, `${JSON.stringify(record)}\n`);
    finished.set(unit.key, record);
    done++;
    if (unit.release && todo.slice(index + 1).every((later) => later.release !== unit.release)) await unit.release();
  }
  report(`${probe}: done`);
  return { records: units.map((unit) => finished.get(unit.key)!), resumed: units.length - todo.length };
}

export interface ResumableRunFiles {
  outDir: string;
  /** One finished record per line, appended as they finish. */
  recordsFile: string;
  /** The settings that define the results. */
  runFile: string;
  /** What the folder holds, for the refusal ("a swap run", "a variant sweep"). */
  kind: string;
  /** Why a resume is refused when the saved settings differ. */
  mismatch: string;
  settings: unknown;
  /** Written to runFile before the settings. */
  record?: Record<string, unknown>;
  resume?: boolean;
}

/**
 * Starts or continues a resumable run in its folder (probes and variant sweeps): a folder already
 * holding a run is refused unless resuming, and a resume with other settings is refused; then the
 * settings are saved and the records finished earlier returned.
 */
export function openResumableRun<R>(run: ResumableRunFiles): R[] {
  let earlier: R[] = [];
  if (existsSync(run.recordsFile) || existsSync(run.runFile)) {
    if (!run.resume) throw new FrankenlensError('FileExists', `${run.outDir}: already holds ${run.kind}; resume it (--resume) or choose another output folder`, run.outDir);
    const saved = existsSync(run.runFile) ? JSON.stringify((JSON.parse(readFileSync(run.runFile, 'utf8')) as { settings: unknown }).settings) : null;
    if (saved !== null && saved !== JSON.stringify(run.settings)) throw new FrankenlensError('PlanMismatch', `${run.runFile}: ${run.mismatch}; resume with the same ones or choose another output folder`, run.runFile);
    earlier = readRecords<R>(run.recordsFile);
  }
  writeJsonAtomic(run.runFile, { ...run.record, settings: run.settings });
  return earlier;
}

/** The complete lines of a results file; a torn last line (no newline: the run stopped mid-write) is cut off. */
export function readRecords<R>(path: string): R[] {
  if (!existsSync(path)) return [];
  const text = readFileSync(path, 'utf8');
  const complete = text.lastIndexOf('\n') + 1;
  if (complete < text.length) truncateSync(path, Buffer.byteLength(text.slice(0, complete)));
  return text.slice(0, complete).split('\n').filter((line) => line !== '').map((line, index) => {
    try {
      return JSON.parse(line) as R;
    } catch {
      throw new FrankenlensError('InvalidArgument', `${path}:${index + 1}: not a JSON line; the results file was edited or damaged`, path);
    }
  });
}

function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}
