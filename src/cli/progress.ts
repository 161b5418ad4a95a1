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
        io.err(
          `\r${task}: [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${Math.round(fraction * 100)}% ${stage} — ${secs(elapsed)} elapsed${Number.isFinite(eta) ? `, ETA ${secs(eta)}` : ''}\u001b[K`,
        );
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

/** Rough share of a run's time per stage of `estimate`, for the ETA. */
const ESTIMATE_STAGES: Record<string, [number, number]> = {
  reading: [0, 0.35],
  fit: [0.35, 0.6],
  match: [0.6, 0.72],
  balance: [0.72, 0.88],
  effect: [0.88, 1],
};

/**
 * Progress of `counterfact estimate`: on a terminal, once the run has taken longer than
 * `quietMs` (2 s), one line per stage with rows per second and an ETA; silent otherwise (pipes,
 * CI, short runs), so `--json` output and logs stay clean.
 */
export function createStageProgress(io: CliIO, quietMs = 2000) {
  const t0 = Date.now();
  let rows = 0;
  let shown = false;
  return {
    rows(n: number) {
      rows = n;
    },
    stage(name: keyof typeof ESTIMATE_STAGES) {
      const elapsed = Date.now() - t0;
      if (!io.isTTY || elapsed < quietMs) return;
      shown = true;
      const done = ESTIMATE_STAGES[name]![0];
      const eta = done > 0 ? (elapsed / done) * (1 - done) : NaN;
      const rate = rows > 0 && elapsed > 0 ? `, ${Math.round(rows / (elapsed / 1000)).toLocaleString('en-US')} rows/s so far` : '';
      io.err(
        `\restimate: ${name}${rows ? ` (${rows.toLocaleString('en-US')} rows)` : ''} — ${(elapsed / 1000).toFixed(1)} s${rate}${Number.isFinite(eta) ? `, ETA ${(eta / 1000).toFixed(1)} s` : ''}\u001b[K`,
      );
    },
    done() {
      if (shown) io.err(`\restimate: done in ${((Date.now() - t0) / 1000).toFixed(1)} s\u001b[K\n`);
    },
  };
}
