/**
 * Peak memory of a child process tree, measured from outside: /proc/<pid>/status of the child and
 * of every descendant it starts, polled every ~20 ms until the child exits. VmHWM is the kernel's
 * own high-water mark of each process's resident set (monotonic, so a poll that comes late still
 * sees the peak), and the largest VmHWM over the tree is the figure reported; the largest sampled
 * sum of VmRSS over the tree, with its anonymous and file-backed parts, comes beside it (a CLI that
 * re-executes itself, or starts a job process, is then still measured whole).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ChildPeak {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
  seconds: number;
  /** Largest VmHWM of any process of the tree (bytes). */
  hwmBytes: number;
  /** Largest sampled sum of VmRSS over the tree, and its RssAnon / RssFile at that sample (bytes). */
  rssBytes: number;
  anonBytes: number;
  fileBytes: number;
  /** Processes seen in the tree (the child first). */
  pids: number[];
  samples: number;
}

const POLL_MS = 20;

function statusOf(pid: number): Record<string, number> | null {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const fields: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const match = /^(Vm\w+|Rss\w+):\s+(\d+) kB/.exec(line);
    if (match) fields[match[1]!] = Number(match[2]) * 1024;
  }
  return fields;
}

/** The pid and every live descendant (through /proc/<pid>/task/<tid>/children). */
function processTree(root: number): number[] {
  const seen: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    seen.push(pid);
    let tasks: string[];
    try {
      tasks = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) if (child) queue.push(Number(child));
      } catch {
        // the task ended between the listing and the read
      }
    }
  }
  return seen;
}

/** Runs `command args` (stdout and stderr collected) and measures its tree's peak memory. */
export function runWithPeak(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; echoStderr?: boolean } = {}): Promise<ChildPeak> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => {
      stderr.push(chunk);
      if (options.echoStderr) process.stderr.write(chunk);
    });
    const hwm = new Map<number, number>();
    let peak = { rssBytes: 0, anonBytes: 0, fileBytes: 0 };
    let samples = 0;
    const poll = () => {
      if (child.pid === undefined) return;
      let rss = 0;
      let anon = 0;
      let file = 0;
      for (const pid of processTree(child.pid)) {
        const status = statusOf(pid);
        if (!status) continue;
        hwm.set(pid, Math.max(hwm.get(pid) ?? 0, status.VmHWM ?? 0));
        rss += status.VmRSS ?? 0;
        anon += status.RssAnon ?? 0;
        file += status.RssFile ?? 0;
      }
      samples++;
      if (rss > peak.rssBytes) peak = { rssBytes: rss, anonBytes: anon, fileBytes: file };
    };
    const timer = setInterval(poll, POLL_MS);
    poll();
    child.on('error', (error) => {
      clearInterval(timer);
      reject(error);
    });
    child.on('exit', (exitCode, signal) => {
      clearInterval(timer);
      resolve({
        exitCode,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: Buffer.concat(stderr).toString('utf8'),
        seconds: (performance.now() - started) / 1000,
        hwmBytes: Math.max(0, ...hwm.values()),
        ...peak,
        pids: [...hwm.keys()],
        samples,
      });
    });
  });
}

/** This process's current resident set and high-water mark, from /proc/self/status (bytes). */
/** Lets garbage collection (bench runs with --expose-gc) and freed native memory settle before selfMemory is read. */
export async function settle(): Promise<void> {
  (globalThis as { gc?: () => void }).gc?.();
  await new Promise((resolve) => setTimeout(resolve, 300));
  (globalThis as { gc?: () => void }).gc?.();
}

export function selfMemory(): { rssBytes: number; hwmBytes: number; anonBytes: number; fileBytes: number } {
  const status = statusOf(process.pid) ?? {};
  return { rssBytes: status.VmRSS ?? 0, hwmBytes: status.VmHWM ?? 0, anonBytes: status.RssAnon ?? 0, fileBytes: status.RssFile ?? 0 };
}

/** The first value under a key named `key` anywhere in a parsed JSON value (depth first), if it is a number. */
export function findNumber(value: unknown, key: string): number | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  if (!Array.isArray(value) && typeof (value as Record<string, unknown>)[key] === 'number') return (value as Record<string, number>)[key];
  for (const inner of Object.values(value as Record<string, unknown>)) {
    const found = findNumber(inner, key);
    if (found !== undefined) return found;
  }
  return undefined;
}
