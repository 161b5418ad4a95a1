/**
 * Radius (caliper) and kernel matching as in Stata's psmatch2: every control within a radius,
 * or every control weighted by a kernel of the score distance, per treated unit. Both return
 * the common MatchResult, so balance and effects work unchanged.
 */
import type { MatchResult, PropensityFit, UnmatchedUnit } from '../contracts.js';
import { badArgument, CounterfactError } from '../problems.js';
import { buildMatchResult } from './result.js';
import { resolveDistance, type ScoreInput } from './prepare.js';
import type { DistanceScale } from '../contracts.js';
import type { KernelSettings, RadiusSettings } from './settings.js';

export type Kernel = 'epanechnikov' | 'gaussian' | 'uniform' | 'tricube';

const KERNELS: Record<Kernel, { k: (u: number) => number; support: number }> = {
  epanechnikov: { k: (u) => (Math.abs(u) < 1 ? 0.75 * (1 - u * u) : 0), support: 1 },
  uniform: { k: (u) => (Math.abs(u) <= 1 ? 0.5 : 0), support: 1 },
  tricube: { k: (u) => (Math.abs(u) < 1 ? (70 / 81) * (1 - Math.abs(u) ** 3) ** 3 : 0), support: 1 },
  // Gaussian: truncated at |u| > 8, where the density is below 1e-14 of its peak (documented).
  gaussian: { k: (u) => Math.exp(-0.5 * u * u) / Math.sqrt(2 * Math.PI), support: 8 },
};

/** The kernels {@link matchKernel} offers. */
export const KERNEL_NAMES: readonly Kernel[] = Object.keys(KERNELS) as Kernel[];

function sortedControls(d: Float64Array, t: Uint8Array): Int32Array {
  const idx: number[] = [];
  for (let i = 0; i < t.length; i++) if (!t[i]) idx.push(i);
  idx.sort((a, b) => d[a]! - d[b]! || a - b);
  return Int32Array.from(idx);
}

function lowerBound(ctrl: Int32Array, d: Float64Array, x: number): number {
  let lo = 0,
    hi = ctrl.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (d[ctrl[mid]!]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function windowMatch(
  input: PropensityFit | ScoreInput,
  method: string,
  scale: DistanceScale,
  halfWidth: number,
  weightOf: (u: number) => number,
  settings: RadiusSettings | KernelSettings,
  maxPairs: number,
): MatchResult {
  const t = input.treatment;
  const d = resolveDistance(input, scale);
  const ctrl = sortedControls(d, t);
  const mt: number[] = [],
    mc: number[] = [],
    mw: number[] = [];
  const unmatched: UnmatchedUnit[] = [];
  for (let i = 0; i < t.length; i++) {
    if (!t[i]) continue;
    const lo = lowerBound(ctrl, d, d[i]! - halfWidth);
    const start = mt.length;
    let total = 0;
    for (let k = lo; k < ctrl.length && d[ctrl[k]!]! <= d[i]! + halfWidth; k++) {
      const w = weightOf(d[ctrl[k]!]! - d[i]!);
      if (w > 0) {
        mt.push(i);
        mc.push(ctrl[k]!);
        mw.push(w);
        total += w;
      }
    }
    if (mt.length > maxPairs) {
      throw new CounterfactError({
        code: 'bad_argument',
        column: 'bandwidth',
        message: `${method} matching would create more than ${maxPairs.toLocaleString('en')} treated–control links: use a smaller bandwidth/radius, or raise maxPairs`,
      });
    }
    if (total === 0) unmatched.push({ index: i, reason: 'no-control-within-caliper' });
    for (let k = start; k < mt.length; k++) mw[k] = mw[k]! / total;
  }
  return buildMatchResult({
    method,
    treatment: t,
    distance: d,
    pairs: { treated: Int32Array.from(mt), control: Int32Array.from(mc), weight: Float64Array.from(mw) },
    discarded: new Uint8Array(t.length),
    unmatchedTreated: unmatched,
    settings,
    warnings: unmatched.length
      ? [`${unmatched.length} treated unit(s) have no control within the ${method === 'radius' ? 'radius' : 'kernel window'} and are left unmatched`]
      : [],
  });
}

/**
 * Radius matching (psmatch2 `radius caliper(r)`): every control within r of a treated unit's
 * score is a match, with weight 1/count. Cost: O(n log n + links).
 * @throws CounterfactError for a non-positive radius or too many links.
 */
export function matchRadius(input: PropensityFit | ScoreInput, options: { caliper: number; distance?: DistanceScale; maxPairs?: number }): MatchResult {
  if (!(options.caliper > 0)) badArgument('caliper', `the radius (caliper) must be positive, received ${options.caliper}`);
  const scale = options.distance ?? 'probability';
  return windowMatch(
    input,
    'radius',
    scale,
    options.caliper,
    () => 1,
    { method: 'radius', caliper: options.caliper, distance: scale },
    options.maxPairs ?? 50_000_000,
  );
}

/**
 * Kernel matching (psmatch2 `kernel kerneltype(...) bwidth(h)`): each treated unit is compared
 * with a kernel-weighted average of the controls, w_ij = K((d_j − d_i)/h) / Σ_k K((d_k − d_i)/h).
 * Kernels: epanechnikov (default), gaussian (truncated at |u| > 8), uniform, tricube;
 * bandwidth default 0.06 (psmatch2's). Cost: O(n log n + links).
 */
export function matchKernel(
  input: PropensityFit | ScoreInput,
  options: { kernel?: Kernel; bandwidth?: number; distance?: DistanceScale; maxPairs?: number } = {},
): MatchResult {
  const kernel = options.kernel ?? 'epanechnikov';
  const h = options.bandwidth ?? 0.06;
  if (!(kernel in KERNELS)) badArgument('kernel', `kernel must be one of ${Object.keys(KERNELS).join(', ')}, received ${JSON.stringify(kernel)}`);
  if (!(h > 0)) badArgument('bandwidth', `bandwidth must be positive, received ${h}`);
  const K = KERNELS[kernel];
  const scale = options.distance ?? 'probability';
  return windowMatch(
    input,
    'kernel',
    scale,
    K.support * h,
    (diff) => K.k(diff / h),
    { method: 'kernel', kernel, bandwidth: h, distance: scale },
    options.maxPairs ?? 50_000_000,
  );
}
