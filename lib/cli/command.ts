/**
 * The conventions every `npm run <name>` command shares, on top of commander:
 *
 * - `--help` (or `-h`) prints the usage, every option with its default, and examples; exit 0;
 * - an unknown option, a missing argument or a bad value prints one error line and the usage; exit 2;
 * - a failure while the command runs prints `error: <message>` (no stack trace); exit 1.
 *
 * Commands declare their options with commander; value checks use the parsers below, so a bad value
 * is caught before any work starts.
 */
import { InterruptedError, requestStop } from '../training/stop.js';
import { RunLockedError } from '../training/lock.js';
import { Command, InvalidArgumentError } from 'commander';

export { Command, Option } from 'commander';

/** A new top-level command, shown in help as `npm run <name> --`. */
export function command(name: string, description: string): Command {
  return new Command(`npm run ${name} --`)
    .description(description)
    .helpOption('-h, --help', 'show this help and exit')
    .configureHelp({ sortOptions: false, showGlobalOptions: false });
}

/** An "Examples:" block for the end of a command's help. */
export function examples(cmd: Command, lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}\n`);
}

/** For this command and every subcommand: after an error, one line of usage and where the full help is; exit 2 (help: 0). */
function usageAfterErrors(cmd: Command, parents: string): void {
  const full = `${parents}${cmd.name()}`;
  cmd.showHelpAfterError(`usage: ${full} ${cmd.usage()}\n(${full} --help for every option)`);
  cmd.exitOverride((e) => process.exit(e.exitCode === 0 ? 0 : 2));
  for (const sub of cmd.commands) usageAfterErrors(sub, `${full} `);
}

/**
 * Parse `argv` and run the chosen action. Errors thrown by the action are reported as one line
 * (`error: …`) with exit code 1; parse errors have already exited with code 2.
 */
export async function run(cmd: Command, argv: string[] = process.argv): Promise<void> {
  usageAfterErrors(cmd, '');
  // SIGTERM (a scheduler's time limit, then SIGKILL after KillWait) and SIGINT: training saves a
  // checkpoint at its current step and stops (lib/training/train.ts); a second signal exits at once.
  // Copies of the first that arrive together are one request: Slurm, Ctrl-C and `npm run` (which
  // forwards what it gets) signal every process of the group, so a run under npm gets two at once.
  const codes: Record<string, number> = { SIGTERM: 143, SIGINT: 130 };
  const SAME_SIGNAL_MS = 2000;
  let firstAt: number | null = null;
  for (const sig of Object.keys(codes) as NodeJS.Signals[]) {
    process.on(sig, () => {
      if (firstAt !== null) {
        if (Date.now() - firstAt >= SAME_SIGNAL_MS) process.exit(codes[sig]);
        return;
      }
      firstAt = Date.now();
      console.error(`${sig}: saving a checkpoint at the current step, then stopping (again to exit at once)`);
      requestStop(sig);
    });
  }
  try {
    await cmd.parseAsync(argv);
  } catch (e) {
    console.error(`error: ${(e as Error).message}`);
    process.exitCode = e instanceof InterruptedError ? (codes[e.signal] ?? 1) : e instanceof RunLockedError ? e.exitCode : 1;
  }
}

/** Option parser: an integer ≥ `min`. */
export function integer(min = 1): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!/^-?\d+$/.test(v.trim()) || !Number.isSafeInteger(n) || n < min) throw new InvalidArgumentError(`expected an integer ≥ ${min}.`);
    return n;
  };
}

/** Option parser: a number strictly between 0 and 1. */
export function fraction(v: string): number {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('expected a number strictly between 0 and 1.');
  return n;
}

/** Option parser: a number above 0, of `unit` (hours, minutes) for the message. */
export function positive(unit: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!(n > 0)) throw new InvalidArgumentError(`expected a number of ${unit} above 0.`);
    return n;
  };
}

/** Option parser for repeatable options: collects every value (after `parse`) into a list. */
export function collect<T>(parse: (v: string) => T): (v: string, previous: T[] | undefined) => T[] {
  return (v, previous) => [...(previous ?? []), parse(v)];
}

/** Wrap a value check that throws an ordinary Error so that commander reports it as a bad value. */
export function checked<T>(parse: (v: string) => T): (v: string) => T {
  return (v) => {
    try {
      return parse(v);
    } catch (e) {
      throw new InvalidArgumentError((e as Error).message);
    }
  };
}
