/**
 * What the demo shows while it runs: one redrawn progress line on a terminal (cli-progress), or plain
 * periodic lines when the output is a file or a pipe. Alerts and notes are printed above it as they come.
 */
import { MultiBar, type SingleBar } from 'cli-progress';
import { REASONS } from '../../core/reasons';
import type { Alert } from '../../core/alerts';
import type { LiveSnapshot, RunObserver } from './runner';

/** Plain mode prints a status line at most this often in virtual time. */
const PLAIN_LINE_EVERY_VIRTUAL_MS = 10 * 60_000;

export function clockLabel(elapsedVirtualMs: number): string {
  const totalSeconds = Math.floor(elapsedVirtualMs / 1000);
  const days = Math.floor(totalSeconds / 86_400);
  const hms = [Math.floor((totalSeconds % 86_400) / 3600), Math.floor((totalSeconds % 3600) / 60), totalSeconds % 60].map((n) => String(n).padStart(2, '0')).join(':');
  return `+${days > 0 ? `${days}d ` : ''}${hms}`;
}

export function statusLine(snapshot: LiveSnapshot): string {
  const order = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
  const statuses = order.filter((s) => snapshot.byStatus[s]).map((s) => `${s.toLowerCase()} ${snapshot.byStatus[s]}`);
  return `${statuses.join(' · ') || 'starting'} │ redrives ${snapshot.redrives} │ alerts ${snapshot.alerts}`;
}

export function alertLine(alert: Alert, elapsedVirtualMs: number): string {
  const what = alert.executionName ?? 'pipeline';
  const error = alert.error ? ` [${alert.error}]` : '';
  const reason = alert.reason === 'PIPELINE_ERROR' ? alert.detail : REASONS[alert.reason];
  const attempts = alert.attemptsUsed !== undefined && alert.kind === 'GAVE_UP' ? `, ${alert.attemptsUsed} redrives used` : '';
  return `${clockLabel(elapsedVirtualMs)}  ALERT ${alert.kind.padEnd(21)} ${what}${error}: ${reason}${attempts}`;
}

export interface LiveView extends RunObserver {
  stop(): void;
}

/** Where the demo writes: process.stdout/stderr, or a capture in tests. */
export interface OutputStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export function createLiveView(stream: OutputStream): LiveView {
  return stream.isTTY ? new BarView(stream as NodeJS.WriteStream) : new PlainView(stream);
}

class BarView implements LiveView {
  private readonly bars: MultiBar;
  private bar?: SingleBar;

  constructor(stream: NodeJS.WriteStream) {
    this.bars = new MultiBar({
      stream,
      format: ' {bar} {value}/{total} succeeded │ {clock} │ {status}',
      barsize: 24,
      hideCursor: true,
      clearOnComplete: false,
      forceRedraw: true,
    });
  }

  onProgress(snapshot: LiveSnapshot): void {
    const payload = { clock: clockLabel(snapshot.elapsedVirtualMs), status: statusLine(snapshot) };
    this.bar ??= this.bars.create(snapshot.total, 0, payload);
    this.bar.update(snapshot.byStatus.SUCCEEDED ?? 0, payload);
  }

  onAlert(alert: Alert, elapsedVirtualMs: number): void {
    this.bars.log(`${alertLine(alert, elapsedVirtualMs)}\n`);
  }

  onNote(text: string, elapsedVirtualMs: number): void {
    this.bars.log(`${clockLabel(elapsedVirtualMs)}  ${text}\n`);
  }

  stop(): void {
    this.bars.stop();
  }
}

class PlainView implements LiveView {
  private lastPrintedAtMs = -Infinity;
  private lastLine = '';
  private latest?: LiveSnapshot;

  constructor(private readonly stream: OutputStream) {}

  onProgress(snapshot: LiveSnapshot): void {
    this.latest = snapshot;
    if (snapshot.elapsedVirtualMs - this.lastPrintedAtMs >= PLAIN_LINE_EVERY_VIRTUAL_MS) this.print(snapshot);
  }

  onAlert(alert: Alert, elapsedVirtualMs: number): void {
    this.stream.write(`${alertLine(alert, elapsedVirtualMs)}\n`);
  }

  onNote(text: string, elapsedVirtualMs: number): void {
    this.stream.write(`${clockLabel(elapsedVirtualMs)}  ${text}\n`);
  }

  stop(): void {
    if (this.latest) this.print(this.latest);
  }

  private print(snapshot: LiveSnapshot): void {
    const line = `${snapshot.byStatus.SUCCEEDED ?? 0}/${snapshot.total} succeeded │ ${statusLine(snapshot)}`;
    this.lastPrintedAtMs = snapshot.elapsedVirtualMs;
    if (line === this.lastLine) return;
    this.lastLine = line;
    this.stream.write(`${clockLabel(snapshot.elapsedVirtualMs)}  ${line}\n`);
  }
}
