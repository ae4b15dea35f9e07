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
  stop(): void;
}

const PLAIN_LINE_INTERVAL_MS = 2000;

export function startProgress(io: CliIo, total: number, label: string): Progress {
  const startedMs = Date.now();
  if (io.isTTY) {
    const bar = new SingleBar({
      format: `${label} {bar} {value}/{total} | {speed}/s | ETA {eta_formatted} | redriven {redriven} | errors {errors}`,
      stream: process.stderr,
      hideCursor: true,
      etaBuffer: 50,
    });
    bar.start(total, 0, { speed: '0.0', redriven: 0, errors: 0 });
    return {
      update: ({ done, redriven, errors }) => bar.update(done, { speed: rate(done, startedMs), redriven, errors }),
      stop: () => bar.stop(),
    };
  }
  let lastLineMs = 0;
  let last: ProgressCounts = { done: 0, redriven: 0, errors: 0 };
  const line = ({ done, redriven, errors }: ProgressCounts) => {
    const perSecond = Number(rate(done, startedMs));
    const eta = perSecond > 0 && total > done ? `, ETA ${formatDuration(((total - done) / perSecond) * 1000)}` : '';
    io.stderr(`${label}: ${done}/${total} processed, ${redriven} redriven, ${errors} errors, ${perSecond.toFixed(1)}/s${eta}\n`);
  };
  return {
    update: (counts) => {
      last = counts;
      if (Date.now() - lastLineMs < PLAIN_LINE_INTERVAL_MS) return;
      lastLineMs = Date.now();
      line(counts);
    },
    stop: () => line(last),
  };
}

function rate(done: number, startedMs: number): string {
  const seconds = Math.max(0.001, (Date.now() - startedMs) / 1000);
  return (done / seconds).toFixed(1);
}
