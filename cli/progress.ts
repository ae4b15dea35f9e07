/**
 * Progress of a long run: a bar with rate and ETA on a terminal, plain lines (at most one every few
 * seconds) otherwise, so logs of CI jobs and `| tee` stay readable.
 */
import { SingleBar } from 'cli-progress';
import { formatDuration } from '../core/decide';
import type { CliIo } from './context';

export interface ProgressCounts {
  done: number;
  redriven: number;
  errors: number;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  /** Ends the bar (or prints the last line); later calls do nothing, so an interrupt may stop it first. */
  stop(): void;
}

const PLAIN_LINE_INTERVAL_MS = 2000;

export function startProgress(io: CliIo, total: number, label: string): Progress {
  const startedMs = Date.now();
  let stopped = false;
  if (io.isTTY) {
    const bar = new SingleBar({
      // Our own ETA: the bar's reads "NFs" before the first item is done.
      format: `${label} {bar} {value}/{total} | {speed}/s | ETA {etaText} | redriven {redriven} | errors {errors}`,
      stream: process.stderr,
      hideCursor: true,
    });
    bar.start(total, 0, { speed: '0.0', etaText: '-', redriven: 0, errors: 0 });
    return {
      update: ({ done, redriven, errors }) => {
        if (!stopped) bar.update(done, { speed: rate(done, startedMs).toFixed(1), etaText: eta(done, total, startedMs) || '-', redriven, errors });
      },
      stop: () => {
        if (stopped) return;
        stopped = true;
        bar.stop();
      },
    };
  }
  let lastLineMs = 0;
  let last: ProgressCounts = { done: 0, redriven: 0, errors: 0 };
  const line = ({ done, redriven, errors }: ProgressCounts) => {
    const left = eta(done, total, startedMs);
    io.stderr(`${label}: ${done}/${total} processed, ${redriven} redriven, ${errors} errors, ${rate(done, startedMs).toFixed(1)}/s${left ? `, ETA ${left}` : ''}\n`);
  };
  return {
    update: (counts) => {
      last = counts;
      if (stopped || Date.now() - lastLineMs < PLAIN_LINE_INTERVAL_MS) return;
      lastLineMs = Date.now();
      line(counts);
    },
    stop: () => {
      if (stopped) return;
      stopped = true;
      line(last);
    },
  };
}

/** A plain line at most every 2 s while planning (the total is not known until the listing ends). */
export function startCounter(io: CliIo, label: string): { update(text: () => string): void; stop(): void } {
  const startedMs = Date.now();
  let lastLineMs = startedMs;
  return {
    update(text) {
      if (Date.now() - lastLineMs < PLAIN_LINE_INTERVAL_MS) return;
      lastLineMs = Date.now();
      io.stderr(`${label}: ${text()}\n`);
    },
    stop() {
      lastLineMs = Infinity;
    },
  };
}

export function rate(done: number, startedMs: number): number {
  const seconds = Math.max(0.001, (Date.now() - startedMs) / 1000);
  return done / seconds;
}

function eta(done: number, total: number, startedMs: number): string {
  const perSecond = rate(done, startedMs);
  return done > 0 && perSecond > 0 && total > done ? formatDuration(((total - done) / perSecond) * 1000) : '';
}
