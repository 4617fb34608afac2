/**
 * The entry of dist/cli.js. Commands that run models must start with glibc's malloc settings
 * (src/core/processMemory.ts: a fixed mmap threshold, so the memory of a released model goes back
 * to the system instead of staying in the heap). glibc reads them only at process start, so on
 * Linux, when they are missing, the CLI starts itself once more with them set: stdio inherited,
 * signals passed on, the child's exit code (or signal) passed back, and FRANKENLENS_RELAUNCHED
 * guarding against a loop. The parent loads nothing else (about 0.1 s, and 60 MB resident while it waits).
 * The job process of the extension is forked with the settings already set (src/host/jobProcess.ts).
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { mallocEnvironment } from '../core/processMemory';

const RELAUNCHED = 'FRANKENLENS_RELAUNCHED';
const MODEL_COMMANDS = new Set(['generate', 'probe', 'variants', 'demo']);
const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

function relaunch(): boolean {
  if (process.platform !== 'linux' || process.env[RELAUNCHED] !== undefined) return false;
  const args = process.argv.slice(2);
  if (!MODEL_COMMANDS.has(args[0] ?? '') || args.includes('--help') || args.includes('-h')) return false;
  const extra = mallocEnvironment();
  if (Object.keys(extra).length === 0) return false;
  // Only glibc reads these variables (musl does not).
  const header = (process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  if (!header?.glibcVersionRuntime) return false;

  const child = spawn(process.execPath, [...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit', env: { ...process.env, ...extra, [RELAUNCHED]: String(process.pid) } });
  // A terminal's Ctrl-C reaches both processes; the child takes the second copy within a second as the same press (main.ts).
  const forward = (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
  };
  for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
  child.once('error', (error) => {
    process.stderr.write(`frankenlens: could not restart with the malloc settings (${error.message}); set MALLOC_MMAP_THRESHOLD_=${extra.MALLOC_MMAP_THRESHOLD_} to skip the restart\n`);
    process.exit(1);
  });
  child.once('exit', (code, signal) => {
    for (const forwarded of FORWARDED_SIGNALS) process.removeListener(forwarded, forward);
    // Die of the same signal where Node lets a signal end the process by default; else exit as a shell reports it.
    if (signal && (signal === 'SIGKILL' || (FORWARDED_SIGNALS as readonly string[]).includes(signal))) process.kill(process.pid, signal);
    else process.exit(signal ? 128 + (constants.signals[signal] ?? 0) : (code ?? 1));
  });
  return true;
}

/** In the restarted CLI: if the parent goes away (killed outright), stop as on SIGTERM rather than run on unwatched. */
function watchParent(): void {
  const parent = Number(process.env[RELAUNCHED]);
  if (!Number.isInteger(parent) || parent <= 1 || process.ppid !== parent) return;
  setInterval(() => {
    if (process.ppid !== parent) process.kill(process.pid, 'SIGTERM');
  }, 500).unref();
}

if (!relaunch()) {
  watchParent();
  void import('./main');
}
