/**
 * The resumable runner every probe uses. Work is a list of units (one item for one or both
 * models); each finished unit is appended to `<probe>.jsonl` as one complete line, in a single
 * write. A restarted run (resume) reads that file, drops a torn last line, and skips the units
 * whose keys are there, so a cancelled run continues where it stopped. The settings are kept in
 * `<probe>.run.json` with fingerprints of everything the run reads (runInputs.ts) and the precision
 * its models hold their weights in; resuming with other settings or another precision, or after a
 * checkpoint or the items changed, is refused. The output folder is
 * one the tool may write into (outputFolder.ts), locked for the whole run. Progress reports carry
 * an ETA from the units run in this session; cancellation is checked between units (and inside
 * them by the model calls).
 */
import { appendFileSync, closeSync, existsSync, readSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { writeFailure, writeJsonAtomic } from '../atomicWrite';
import { FrankenlensError } from '../errors';
import { jsonErrorLine } from '../jsonErrorLine';
import { prepareOutputFolder, type OutputKind } from '../outputFolder';
import { linkedCancel, throwIfCancelled, type CancelToken, type ProgressSink } from '../progress';
import { SharedBatch } from '../model/batchedGenerate';
import type { ModelRuntime } from '../model/modelRuntime';
import { WEIGHT_PRECISIONS, type WeightPrecision } from '../model/graphOps';
import type { ProbeName } from './probeResult';
import { fingerprintRunInputs, inputSources, isSavedRunInputs, runInputsChange, type RunInputs, type SavedRunInputs } from './runInputs';
import { openRegularFile, readRegularFile } from '../regularFile';

export interface ProbeUnit<R> {
  key: string;
  label: string;
  /** `cancel`: the run's cancel, also set when another unit in flight fails. */
  run: (cancel: CancelToken) => Promise<R>;
  /**
   * Frees what this unit's model holds: called once no unit left to run has the same function (a
   * model is unloaded as soon as its items are done). Units with different release functions are
   * never in flight together, so a probe that loads one model at a time keeps doing so.
   */
  release?: () => Promise<void>;
}

export interface ProbeRunOptions<R> {
  probe: ProbeName;
  outDir: string;
  /** What defines the results (models, items, settings): compared on resume. */
  settings: unknown;
  /** What the run reads (checkpoints, items): fingerprinted, compared on resume. */
  inputs: RunInputs;
  /** The models' weight precision (default float32): compared on resume. */
  precision?: WeightPrecision;
  units: readonly ProbeUnit<R>[];
  /**
   * Units in flight at once (default 1): their decodings share one batch per model (ProbeBatches),
   * so one item's long answers do not leave the batch's rows idle. Records are written as units end.
   */
  concurrency?: number;
  /** The units' shared batches, closed when the run ends whatever its outcome. */
  batches?: ProbeBatches;
  /** Why a record read back on resume is not one of this probe's, or null (see ResumableRunFiles). */
  checkRecord?: (record: R & Record<string, unknown>) => string | null;
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
  const finished = new Map<string, R>();
  const run = openResumableRun<R>({
    outDir, outputKind: 'probes', recordsFile: itemsFile(outDir, probe), runFile: runFile(outDir, probe), kind: `a ${probe} run`, mismatch: 'the saved run used other settings',
    settings: options.settings, inputs: options.inputs, precision: options.precision, record: { probe }, resume: options.resume, checkRecord: options.checkRecord,
  });
  try {
    for (const record of run.earlier) finished.set(record.key, record);
    const todo = units.filter((unit) => !finished.has(unit.key));
    const started = performance.now();
    let done = 0;
    const report = (message: string) => {
      const elapsed = (performance.now() - started) / 1000;
      const eta = done > 0 ? ` · ETA ${formatSeconds((elapsed / done) * (todo.length - done))}` : '';
      options.progress?.report({ fraction: (units.length - todo.length + done) / Math.max(1, units.length), message: `${message}${eta}` });
    };
    const stop = linkedCancel(options.cancel);
    const concurrency = Math.max(1, options.concurrency ?? 1);
    const running = new Set<Promise<void>>();
    let failure: { error: unknown } | undefined;
    const left = new Map<ProbeUnit<R>['release'], number>();
    for (const unit of todo) left.set(unit.release, (left.get(unit.release) ?? 0) + 1);
    let group: ProbeUnit<R>['release'];
    for (const unit of todo) {
      while (running.size > 0 && (running.size >= concurrency || unit.release !== group)) await Promise.race(running);
      if (failure || options.cancel?.isCancellationRequested) break;
      group = unit.release;
      report(`${probe}: ${unit.label} (${units.length - todo.length + done + running.size + 1}/${units.length})`);
      const task: Promise<void> = (async () => {
        try {
          const record = await unit.run(stop.token);
          if (record.key !== unit.key) throw new Error(`probe unit ${unit.key} returned a record keyed ${record.key}`);
          run.append(record);
          finished.set(unit.key, record);
          done++;
          left.set(unit.release, left.get(unit.release)! - 1);
          if (unit.release && left.get(unit.release) === 0) await unit.release();
        } catch (error) {
          // The first failure is the one reported; the units still in flight are stopped.
          failure ??= { error };
          stop.cancel();
        }
      })().finally(() => running.delete(task));
      running.add(task);
    }
    await Promise.all(running);
    if (failure) throw failure.error;
    throwIfCancelled(options.cancel);
    report(`${probe}: done`);
    return { records: units.map((unit) => finished.get(unit.key)!), resumed: units.length - todo.length };
  } finally {
    // After a failure or a cancel the units' batches are still open (no release ran): end them.
    await options.batches?.closeAll();
    run.release();
  }
}

export interface ResumableRunFiles<R> {
  outDir: string;
  /** What the output folder's marker records. */
  outputKind: OutputKind;
  /** One finished record per line, appended as they finish. */
  recordsFile: string;
  /** The settings that define the results. */
  runFile: string;
  /** What the folder holds, for the refusal ("a swap run", "a variant sweep"). */
  kind: string;
  /** Why a resume is refused when the saved settings differ. */
  mismatch: string;
  settings: unknown;
  inputs: RunInputs;
  /**
   * How the models hold their weights (default float32): int8 answers differ from float32's, so a
   * resume in another precision is refused. Saved beside the settings (a run file without it is float32).
   */
  precision?: WeightPrecision;
  /** Written to runFile before the settings. */
  record?: Record<string, unknown>;
  resume?: boolean;
  /** Why a record read back cannot be one of this run's (beyond a string "key"), or null. */
  checkRecord?: (record: R & Record<string, unknown>) => string | null;
}

export interface ResumableRun<R> {
  /** The records finished by earlier sessions. */
  earlier: R[];
  /** Appends one finished record as one complete line, in a single write. */
  append(record: R): void;
  /** Gives up the output folder's lock (the run is done, failed or cancelled). */
  release(): void;
}

/**
 * Starts or continues a resumable run in its folder (probes and variant sweeps), holding the
 * folder's lock until release: a folder already holding a run is refused unless resuming; a
 * resume with other settings, or whose checkpoints or items changed, is refused; then the
 * settings and input fingerprints are saved and the records finished earlier returned.
 */
export function openResumableRun<R extends { key: string }>(run: ResumableRunFiles<R>): ResumableRun<R> {
  const inputs = fingerprintRunInputs(run.inputs);
  const output = prepareOutputFolder(run.outDir, { kind: run.outputKind, sources: inputSources(inputs) });
  try {
    let earlier: R[] = [];
    if (existsSync(run.recordsFile) || existsSync(run.runFile)) {
      if (!run.resume) throw new FrankenlensError('FileExists', `${run.outDir}: already holds ${run.kind}; resume it (--resume) or choose another output folder`, run.outDir);
      const startOver = `start a new run (another output folder) or delete ${run.outDir}`;
      if (!existsSync(run.runFile)) throw new FrankenlensError('PlanMismatch', `${run.runFile}: missing, so a resume cannot tell how the results in ${run.recordsFile} were made; ${startOver}`, run.runFile);
      const saved = readRunFile(run.runFile);
      if (JSON.stringify(saved.settings) !== JSON.stringify(run.settings)) throw new FrankenlensError('PlanMismatch', `${run.runFile}: ${run.mismatch}; resume with the same ones or choose another output folder`, run.runFile);
      const [then, now] = [saved.precision ?? 'float32', run.precision ?? 'float32'];
      if (then !== now) throw new FrankenlensError('PlanMismatch', `${run.runFile}: the saved run held its models' weights in ${then}, this one asks for ${now}; resume with --precision ${then} or choose another output folder`, run.runFile);
      if (!saved.inputs) throw new FrankenlensError('PlanMismatch', `${run.runFile}: written by an earlier Frankenlens that kept no fingerprints of the checkpoints and items, so a resume cannot tell whether they changed; ${startOver}`, run.runFile);
      const change = runInputsChange(saved.inputs, inputs);
      if (change) throw new FrankenlensError('PlanMismatch', `${run.runFile}: ${change} since this run started; ${startOver}`, run.runFile);
      earlier = readRecords<R>(run.recordsFile, run.checkRecord);
    }
    writeJsonAtomic(run.runFile, { ...run.record, settings: run.settings, precision: run.precision ?? 'float32', inputs });
    return {
      earlier,
      append(record) {
        try {
          appendFileSync(run.recordsFile, `${JSON.stringify(record)}\n`);
        } catch (error) {
          throw writeFailure(error, run.recordsFile);
        }
      },
      release: output.release,
    };
  } catch (error) {
    output.release();
    throw error;
  }
}

/** A settings file is small: anything larger is not one (and is not read into memory). */
const MAX_RUN_FILE_BYTES = 64 * 2 ** 20;

/** The saved settings of a run; a damaged file is an error naming it (and the line, for broken JSON). */
function readRunFile(path: string): { settings: unknown; precision?: WeightPrecision; inputs?: SavedRunInputs } {
  const damaged = (problem: string) => new FrankenlensError('InvalidArgument', `${path}: ${problem}; the run's settings file was edited or damaged; delete the run folder or choose another output folder`, path);
  if (statSync(path).size > MAX_RUN_FILE_BYTES) throw damaged(`over ${MAX_RUN_FILE_BYTES / 2 ** 20} MiB, too large to be a run's settings`);
  const bytes = readRegularFile(path, { code: 'InvalidArgument', maxBytes: MAX_RUN_FILE_BYTES });
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw damaged('not UTF-8 text');
  }
  if (text.trim() === '') throw damaged('empty');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw damaged(`line ${jsonErrorLine(text)}: not valid JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || !('settings' in value)) throw damaged('not a run\'s settings (no "settings" field)');
  const { inputs } = value as { inputs?: unknown };
  if (inputs !== undefined && !isSavedRunInputs(inputs)) throw damaged('its "inputs" are not fingerprints of checkpoints and files');
  const { precision } = value as { precision?: unknown };
  if (precision !== undefined && !WEIGHT_PRECISIONS.includes(precision as WeightPrecision)) throw damaged(`its "precision" is not one of ${WEIGHT_PRECISIONS.join(', ')}`);
  return value as { settings: unknown; precision?: WeightPrecision; inputs?: SavedRunInputs };
}

/** A record line longer than this is not one of ours (the largest, an ablation item, is well under a MiB). */
export const MAX_RECORD_LINE_BYTES = 64 * 2 ** 20;

/**
 * The records of a results file, read line by line (memory bounded by the longest line, capped). A
 * torn last line (no newline: the run stopped mid-write) is cut off; any other damage (a line that
 * is not JSON, not UTF-8, not a record, or too long) is an error naming the file and the line.
 */
export function readRecords<R extends { key: string }>(path: string, checkRecord?: (record: R & Record<string, unknown>) => string | null): R[] {
  if (!existsSync(path)) return [];
  const damaged = (line: number, problem: string) => new FrankenlensError('InvalidArgument', `${path}, line ${line}: ${problem}; the results file was edited or damaged; delete the run folder or choose another output folder`, path);
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const records: R[] = [];
  for (const line of fileLines(path, MAX_RECORD_LINE_BYTES, (number) => damaged(number, `longer than ${MAX_RECORD_LINE_BYTES / 2 ** 20} MiB`))) {
    let text: string;
    try {
      text = decoder.decode(line.bytes);
    } catch {
      throw damaged(line.number, 'not UTF-8 text (binary data)');
    }
    if (!line.complete) {
      if (!text.startsWith('{')) throw damaged(line.number, 'the last line is not the start of a record');
      truncateSync(path, line.start);
      break;
    }
    if (text === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw damaged(line.number, 'not a JSON line');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { key?: unknown }).key !== 'string') throw damaged(line.number, 'not a record of this run (a JSON object with a "key")');
    const problem = checkRecord?.(value as R & Record<string, unknown>);
    if (problem) throw damaged(line.number, problem);
    records.push(value as R);
  }
  return records;
}

interface FileLine {
  /** 1-based. */
  number: number;
  /** Byte offset where the line starts. */
  start: number;
  /** Without its newline. */
  bytes: Uint8Array;
  /** False for a last line with no newline. */
  complete: boolean;
}

/** The lines of a file, read a MiB at a time; a line over `maxBytes` throws `tooLong(line number)`. */
function* fileLines(path: string, maxBytes: number, tooLong: (line: number) => Error): Generator<FileLine> {
  // Non-blocking and regular only: a FIFO or a device in place of the records file is refused.
  const { fd } = openRegularFile(path, 'InvalidArgument');
  try {
    const chunk = Buffer.alloc(2 ** 20);
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    let offset = 0;
    let lineStart = 0;
    let number = 1;
    for (;;) {
      const read = readSync(fd, chunk, 0, chunk.length, offset);
      if (read === 0) break;
      let start = 0;
      for (let newline = chunk.indexOf(10, start); newline >= 0 && newline < read; newline = chunk.indexOf(10, start)) {
        if (pendingBytes + newline - start > maxBytes) throw tooLong(number);
        yield { number, start: lineStart, bytes: Buffer.concat([...pending, chunk.subarray(start, newline)]), complete: true };
        pending = [];
        pendingBytes = 0;
        start = newline + 1;
        lineStart = offset + start;
        number++;
      }
      if (pendingBytes + read - start > maxBytes) throw tooLong(number);
      pending.push(Buffer.from(chunk.subarray(start, read)));
      pendingBytes += read - start;
      offset += read;
    }
    if (pendingBytes > 0) yield { number, start: lineStart, bytes: Buffer.concat(pending), complete: false };
  } finally {
    closeSync(fd);
  }
}

/** A remaining time for progress messages ("42 s", "3 min 5 s", "2 h 10 min"). */
export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(seconds / 3600)} h ${Math.round((seconds % 3600) / 60)} min`;
}

/**
 * One shared batch per model for the units of a probe in flight: each unit's decodings join its
 * model's batch, so runs of different items decode together. A model's batch is made on first use
 * (with the cancel the units got) and closed by `close` before the model is released.
 */
export class ProbeBatches {
  private readonly batches = new Map<ModelRuntime, SharedBatch>();

  constructor(private readonly rows: number) {}

  of(runtime: ModelRuntime, cancel?: CancelToken): SharedBatch {
    let batch = this.batches.get(runtime);
    if (!batch) this.batches.set(runtime, (batch = new SharedBatch(runtime, { rows: this.rows, cancel })));
    return batch;
  }

  async close(runtime: ModelRuntime): Promise<void> {
    const batch = this.batches.get(runtime);
    this.batches.delete(runtime);
    await batch?.close();
  }

  /** A model's units are done: its batch ends, then its sessions go. */
  async release(runtime: ModelRuntime): Promise<void> {
    await this.close(runtime);
    await runtime.unload();
  }

  async closeAll(): Promise<void> {
    for (const runtime of [...this.batches.keys()]) await this.close(runtime);
  }
}
