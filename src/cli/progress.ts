// How `train` shows progress: a one-line bar on a terminal (stderr), JSON lines with --json
// (stdout), and a line now and then when stderr is not a terminal.
import type { ProgressEvent } from '../training/run-loop';

export interface ProgressSink {
  progress(e: ProgressEvent): void;
  notice(message: string): void;
  end(): void;
}

export function createProgressSink(json: boolean, stderr: NodeJS.WriteStream = process.stderr): ProgressSink {
  if (json) {
    return {
      progress: (e) => process.stdout.write(JSON.stringify(toJson(e)) + '\n'),
      notice: (message) => stderr.write(message + '\n'),
      end: () => {},
    };
  }
  const tty = stderr.isTTY === true;
  let lastPlain = 0;
  let drawn = false;
  return {
    progress(e) {
      if (e.sample !== undefined) {
        clear();
        stderr.write(`--- sample at step ${e.step} ---\n${e.sample}\n---\n`);
      }
      const line = statusLine(e);
      if (tty) {
        const width = Math.max(20, (stderr.columns ?? 100) - 1);
        stderr.write('\r' + fit(bar(e.fraction) + ' ' + line, width) + '\x1b[K');
        drawn = true;
      } else if (Date.now() - lastPlain > 10_000) {
        stderr.write(line + '\n');
        lastPlain = Date.now();
      }
    },
    notice(message) { clear(); stderr.write(message + '\n'); },
    end() { clear(); },
  };
  function clear() {
    if (drawn) { stderr.write('\r\x1b[K'); drawn = false; }
  }
}

function toJson(e: ProgressEvent) {
  return {
    step: e.step, epoch: e.epoch, chars: e.charsSeen, chars_per_s: Math.round(e.charsPerSecond),
    train_bpc: round(e.trainBpc), val_bpc: e.valBpc === undefined ? null : round(e.valBpc),
    eta_s: e.etaMs === undefined ? null : Math.round(e.etaMs / 1000), lr: e.lr,
    ...(e.sample !== undefined ? { sample: e.sample } : {}),
  };
}

function statusLine(e: ProgressEvent): string {
  const parts = [
    `step ${e.step}`, `${formatCount(e.charsSeen)} chars`, `${formatCount(e.charsPerSecond)} chars/s`,
    `train ${Number.isFinite(e.trainBpc) ? e.trainBpc.toFixed(3) : '–'} bpc`,
  ];
  if (e.valBpc !== undefined) parts.push(`val ${e.valBpc.toFixed(3)} bpc`);
  if (e.etaMs !== undefined) parts.push(`ETA ${formatDuration(e.etaMs)}`);
  return parts.join(' · ');
}

function bar(fraction = 0): string {
  const n = 20, full = Math.round(Math.min(1, fraction) * n);
  return '[' + '#'.repeat(full) + '.'.repeat(n - full) + `] ${Math.floor(fraction * 100).toString().padStart(3)}%`;
}

function fit(s: string, width: number): string {
  return s.length <= width ? s : s.slice(0, width - 1) + '…';
}

const round = (x: number) => (Number.isFinite(x) ? Math.round(x * 10000) / 10000 : null);

export function formatCount(n: number): string {
  if (n >= 1e6) return (n / 1e6).toFixed(1) + 'M';
  if (n >= 1e4) return (n / 1e3).toFixed(0) + 'k';
  return Math.round(n).toString();
}

export function formatDuration(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  return m < 60 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
