/**
 * A shared counter of the passes the propensity fit's worker threads are running now (Node
 * only). Background work on other threads (the balance table's sorts, prepared before the fit)
 * waits while it is above 0, so it takes the cores the fit leaves idle — its set-up, the
 * matching — instead of slowing every pass of the fit (at register scale both are bound by
 * memory bandwidth, and sharing it costs more than it gains).
 */
export const foreground = new Int32Array(new SharedArrayBuffer(4));

/** A foreground pass starts. */
export function foregroundStart(): void {
  Atomics.add(foreground, 0, 1);
}

/** A foreground pass ends: background threads waiting for the cores are woken. */
export function foregroundEnd(): void {
  if (Atomics.sub(foreground, 0, 1) === 1) Atomics.notify(foreground, 0);
}
