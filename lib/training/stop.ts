/**
 * A stop asked for by a signal (a scheduler's SIGTERM at its time limit, Ctrl-C): the training loop
 * (lib/training/train.ts) saves a checkpoint at the current step and throws InterruptedError, so the
 * same command run again resumes exactly there. Commands install the signal handlers
 * (lib/cli/command.ts); a library user may call `requestStop`. No dependencies, so that every command
 * can load it cheaply.
 */
let requested: string | null = null;

export function requestStop(reason: string): void {
  requested ??= reason;
}

/** The reason a stop was asked for (a signal's name), or null. */
export function stopRequest(): string | null {
  return requested;
}

/** For tests: forget an earlier stop request. */
export function clearStopRequest(): void {
  requested = null;
}

export class InterruptedError extends Error {
  constructor(readonly signal: string, readonly step: number, readonly checkpoint: string | null) {
    super(
      checkpoint
        ? `interrupted by ${signal} at step ${step}: checkpoint saved in ${checkpoint}; no record written; run the same command again to resume from step ${step}`
        : `interrupted by ${signal} at step ${step}; this run keeps no checkpoint, so a rerun starts over; no record written`,
    );
    this.name = 'InterruptedError';
  }
}
