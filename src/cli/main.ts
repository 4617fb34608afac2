/** The `frankenlens` command line: the same core as the extension, results as files. */
import { cancelTokenFromSignal } from '../core/progress';
import { TOOL_VERSION } from '../core/version';
import { EXIT, UsageError, reportFailure } from './cliErrors';
import { BENCH_IMPORT_USAGE, SCORE_USAGE, benchImportCommand, scoreCommand } from './commands/benchCommand';
import { DEMO_USAGE, demoCommand } from './commands/demoCommand';
import { DIFF_USAGE, diffCommand } from './commands/diffCommand';
import { describeDiff } from '../core/jobs/diffJob';
import { GENERATE_USAGE, generateCommand } from './commands/generateCommand';
import { GPU_USAGE, gpuCommand } from './commands/gpuCommand';
import { INSPECT_USAGE, inspectCommand } from './commands/inspectCommand';
import { PROBE_USAGE, probeCommand } from './commands/probeCommand';
import { FREEZE_USAGE, MERGE_USAGE, PLAN_USAGE, freezeCommand, mergeCommand, planCommand } from './commands/mergeCommand';
import { SPECTRAL_USAGE, spectralCommand } from './commands/spectralCommand';
import { VARIANTS_USAGE, describeSweep, variantsCommand } from './commands/variantsCommand';
import { describePrecisionReport } from '../core/model/precisionReport';

const USAGE = `frankenlens ${TOOL_VERSION}: what did RL change in your vision-language model?

Usage:
${[DIFF_USAGE, SPECTRAL_USAGE, MERGE_USAGE, FREEZE_USAGE, PLAN_USAGE, INSPECT_USAGE, GENERATE_USAGE, PROBE_USAGE, VARIANTS_USAGE, BENCH_IMPORT_USAGE, SCORE_USAGE, DEMO_USAGE, GPU_USAGE].map((text) => `  ${text.split('\n')[0]}`).join('\n')}

Run "frankenlens COMMAND --help" for a command's options.`;

const HELP: Record<string, string> = { diff: DIFF_USAGE, spectral: SPECTRAL_USAGE, merge: MERGE_USAGE, freeze: FREEZE_USAGE, plan: PLAN_USAGE, inspect: INSPECT_USAGE, generate: GENERATE_USAGE, probe: PROBE_USAGE, variants: VARIANTS_USAGE, 'bench-import': BENCH_IMPORT_USAGE, score: SCORE_USAGE, demo: DEMO_USAGE, gpu: GPU_USAGE };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return EXIT.ok;
  }
  if (command === '--version') {
    process.stdout.write(`${TOOL_VERSION}\n`);
    return EXIT.ok;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    if (!HELP[command]) throw new UsageError(`unknown command "${command}"`);
    process.stdout.write(`${HELP[command]}\n`);
    return EXIT.ok;
  }
  const controller = new AbortController();
  // The first SIGINT/SIGTERM cancels (the command stops between steps); a second one more than a
  // second later ends the process at once. Within the second it is the same Ctrl-C: a CLI restarted
  // by launch.ts gets a terminal's Ctrl-C from the terminal and again from its parent.
  let stoppedAt: number | undefined;
  const stop = (signal: NodeJS.Signals) => {
    if (stoppedAt === undefined) {
      stoppedAt = Date.now();
      controller.abort();
    } else if (Date.now() - stoppedAt > 1000) {
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      process.kill(process.pid, signal);
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  const cancel = cancelTokenFromSignal(controller.signal);
  switch (command) {
    case 'diff': {
      const { result, outDir, files } = await diffCommand(rest, cancel);
      process.stdout.write(`${describeDiff(result)}\nwrote ${files.length} files to ${outDir ?? ''}\n`);
      const html = files.find((file) => file.endsWith('.html'));
      if (html) process.stdout.write(`open the report: ${html}\n`);
      return EXIT.ok;
    }
    case 'demo': {
      const { index, steps } = await demoCommand(rest, cancel);
      for (const step of steps) process.stdout.write(`== ${step.name} (${step.seconds.toFixed(1)} s)\n${step.summary}\n`);
      process.stdout.write(`open the study: ${index}\n`);
      return EXIT.ok;
    }
    case 'spectral': {
      const { summary, outDir, files } = await spectralCommand(rest, cancel);
      process.stdout.write(`${summary}\nwrote ${files.length} files to ${outDir}\n`);
      const html = files.find((file) => file.endsWith('.html'));
      if (html) process.stdout.write(`open the report: ${html}\n`);
      return EXIT.ok;
    }
    case 'merge':
      process.stdout.write(`${await mergeCommand(rest, cancel)}\n`);
      return EXIT.ok;
    case 'freeze':
      process.stdout.write(`${await freezeCommand(rest, cancel)}\n`);
      return EXIT.ok;
    case 'plan':
      process.stdout.write(`${planCommand(rest)}\n`);
      return EXIT.ok;
    case 'bench-import':
      process.stdout.write(`${benchImportCommand(rest)}\n`);
      return EXIT.ok;
    case 'score':
      process.stdout.write(`${scoreCommand(rest)}\n`);
      return EXIT.ok;
    case 'inspect':
      process.stdout.write(`${inspectCommand(rest)}\n`);
      return EXIT.ok;
    case 'generate':
      process.stdout.write(`${await generateCommand(rest, cancel)}\n`);
      return EXIT.ok;
    case 'probe': {
      const { files, precisionAgreement } = await probeCommand(rest, cancel);
      process.stdout.write(`wrote ${files.join(', ')}\n${precisionAgreement ? `${describePrecisionReport(precisionAgreement)}\n` : ''}`);
      return EXIT.ok;
    }
    case 'variants': {
      const { summaryPath, rows, comparison, resumed, precisionAgreement } = await variantsCommand(rest, cancel);
      process.stdout.write(`${describeSweep(rows, comparison)}\n${resumed > 0 ? `(${resumed} answers resumed) ` : ''}wrote ${summaryPath}\n${precisionAgreement ? `${describePrecisionReport(precisionAgreement)}\n` : ''}`);
      return EXIT.ok;
    }
    case 'gpu': {
      const { text, ok } = await gpuCommand(rest);
      process.stdout.write(`${text}\n`);
      return ok ? EXIT.ok : EXIT.badInput;
    }
    default:
      throw new UsageError(`unknown command "${command}"`);
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // parseArgs reports bad flags with TypeError codes ERR_PARSE_ARGS_*: those are usage errors.
    const parseError = (error as NodeJS.ErrnoException)?.code?.startsWith?.('ERR_PARSE_ARGS');
    process.exitCode = reportFailure(parseError ? new UsageError((error as Error).message) : error);
  },
);
