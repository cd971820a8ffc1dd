/**
 * Progress reporting for long work, on stderr: a live bar on a terminal (cli-progress), and a line every
 * ~10 % (notebooks: every 25 %) where output is not a terminal (notebooks, CI logs), so logs stay readable.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Set the amount done, with optional extra fields shown after the bar (e.g. loss). */
  update(done: number, info?: Record<string, string | number>): void;
  stop(): void;
}

/** Off a terminal: a line per this many percent; DNABERT_PROGRESS_EVERY sets it (notebooks' child processes: 25). */
const everyPct = Number(process.env.DNABERT_PROGRESS_EVERY) || 10;

/**
 * `from`: the amount already done when this process started (a resumed run), so the time left is
 * reckoned from the work done here, not from steps an earlier process did.
 */
export function progress(label: string, total: number, unit = '', stream: NodeJS.WriteStream = process.stderr, from = 0): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      { format: `${label} [{bar}] {percentage}% | {value}/{total}${unit ? ' ' + unit : ''} | ETA {eta_formatted} {info}`, stream, hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, from, { info: '' });
    return {
      update: (done, info) => bar.update(done, { info: info ? Object.entries(info).map(([k, v]) => `${k} ${v}`).join(' ') : '' }),
      stop: () => bar.stop(),
    };
  }
  const start = Date.now();
  const every = everyPct;
  let nextPct = every;
  while (total > 0 && nextPct <= (100 * from) / total) nextPct += every;
  return {
    update(done, info) {
      const pct = total > 0 ? (100 * done) / total : 100;
      if (pct + 1e-9 < nextPct) return;
      while (nextPct <= pct) nextPct += every;
      const secs = (Date.now() - start) / 1000;
      const here = done - from;
      const eta = here > 0 && total > done ? `, ETA ${((secs / here) * (total - done)).toFixed(0)} s` : '';
      const extra = info ? ' ' + Object.entries(info).map(([k, v]) => `${k} ${v}`).join(' ') : '';
      stream.write(`${label}: ${Math.floor(pct)}% (${done}/${total}${unit ? ' ' + unit : ''}, ${secs.toFixed(1)} s${eta})${extra}\n`);
    },
    stop() {},
  };
}
