/**
 * Progress display: a one-line bar with stage, percent, elapsed and ETA on a terminal;
 * plain log lines when stderr is not a TTY (CI, pipes).
 */
import type { CliIO } from './io.js';

export function createProgress(io: CliIO, task: string) {
  const t0 = Date.now();
  let last = '';
  const secs = (ms: number) => `${(ms / 1000).toFixed(1)}s`;
  return {
    update(stage: string, fraction: number) {
      const elapsed = Date.now() - t0;
      const eta = fraction > 0 ? (elapsed / fraction) * (1 - fraction) : NaN;
      if (io.isTTY) {
        const width = 24;
        const filled = Math.round(fraction * width);
        io.err(`\r${task}: [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${stage} — ${secs(elapsed)} elapsed${Number.isFinite(eta) ? `, ETA ${secs(eta)}` : ''}\u001b[K`);
      } else if (stage !== last) {
        io.err(`${task}: ${stage} (${Math.round(fraction * 100)}%, ${secs(elapsed)})\n`);
      }
      last = stage;
    },
    done() {
      if (io.isTTY) io.err(`\r${task}: done in ${secs(Date.now() - t0)}\u001b[K\n`);
      else io.err(`${task}: done in ${secs(Date.now() - t0)}\n`);
    },
  };
}
