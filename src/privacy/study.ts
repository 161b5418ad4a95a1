/**
 * The suppression pass over a study's results (what `counterfact run` writes: results.json, the
 * CSVs and report.html all come from the object this returns) and over the counts `estimate`
 * prints. See suppress.ts for the rule. Browser-safe.
 */
import { type Cell, holds, planSuppression, redactSmallCounts, type Relation } from './suppress.js';

/** What was hidden, as dot paths into the results object (e.g. `counts.unmatchedTreated`, `overlap.3.treatedAfter`). */
export interface SuppressionReport {
  readonly minCellCount: number;
  /** Counts from 1 to minCellCount − 1 (shown as "<minCellCount" in text). */
  readonly small: readonly string[];
  /** Figures hidden so that no small count can be recovered by subtraction (shown as "suppressed"). */
  readonly complementary: readonly string[];
}

type Obj = Record<string, unknown>;
const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null;

function getPath(root: unknown, path: string): unknown {
  let cur: unknown = root;
  for (const k of path.split('.')) {
    if (!isObj(cur)) return undefined;
    cur = (cur as Obj)[k];
  }
  return cur;
}

function setPath(root: unknown, path: string, value: unknown): void {
  const ks = path.split('.');
  let cur: unknown = root;
  for (const k of ks.slice(0, -1)) {
    if (!isObj(cur)) return;
    cur = (cur as Obj)[k];
  }
  if (isObj(cur)) (cur as Obj)[ks[ks.length - 1]!] = value;
}

const numOrNull = (x: unknown): number | null => (typeof x === 'number' && Number.isFinite(x) ? x : null);

/** Builder for the cells and relations of one results object. */
class Ledger {
  readonly cells = new Map<string, Cell>();
  readonly relations: Relation[] = [];
  readonly links: [string, string][] = [];
  constructor(private readonly root: unknown) {}
  count(path: string): string | null {
    const v = getPath(this.root, path);
    if (v === undefined) return null;
    this.cells.set(path, { value: numOrNull(v), count: true });
    return path;
  }
  figure(path: string): string | null {
    const v = getPath(this.root, path);
    if (v === undefined) return null;
    this.cells.set(path, { value: numOrNull(v), count: false });
    return path;
  }
  /** Add total = Σ parts when every member is a cell and the identity holds for the values. */
  rel(total: string | null, parts: readonly (string | null)[]): void {
    if (total === null || parts.some((p) => p === null) || !parts.length) return;
    const ps = parts as string[];
    if (holds(this.cells, total, ps)) this.relations.push({ total, parts: ps });
  }
}

/** Hide small rows of a table (subgroups, arms) so that at least two rows or none are hidden. */
function tableRule(rows: Obj[], prefix: string, complementary: string[]): void {
  const hiddenRows = rows.filter((r) => r.suppressed === true);
  if (hiddenRows.length !== 1 || rows.length < 2) return;
  let best = -1;
  for (let k = 0; k < rows.length; k++) {
    const r = rows[k]!;
    if (r.suppressed === true) continue;
    if (best < 0 || (numOrNull(r.nTreated) ?? Infinity) < (numOrNull(rows[best]!.nTreated) ?? Infinity)) best = k;
  }
  if (best < 0) return;
  const r = rows[best]!;
  for (const key of Object.keys(r)) if (typeof r[key] === 'number' && key !== 'subgroup' && key !== 'arm') r[key] = null;
  if ('balanced' in r) r.balanced = null;
  r.suppressed = true;
  if ('note' in r) r.note = 'suppressed so that the small cell next to it cannot be recovered from the total (complementary suppression)';
  complementary.push(`${prefix}.${best}`);
}

const EFFECT_NUMBERS = ['estimate', 'se', 'ciLower', 'ciUpper', 'pValue', 'meanTreated', 'meanControl', 'naive'];

/**
 * The `counts` block every result carries, as cells of the ledger, with the sums that tie them:
 * rows = treated + controls, each group = matched + unmatched, unmatched treated = Σ reasons, and
 * the discarded treated = the 'discarded' reason when there is one. Returns the cell names.
 */
function declareCounts(L: Ledger, unmatchedReasons: object) {
  const C = (k: string) => L.count(`counts.${k}`);
  const c = {
    rows: C('rows'),
    treated: C('treated'),
    controls: C('controls'),
    mT: C('matchedTreated'),
    mC: C('matchedControls'),
    uT: C('unmatchedTreated'),
    uC: C('unmatchedControls'),
    dT: C('discardedTreated'),
    dC: C('discardedControls'),
  };
  const reasons = Object.keys(unmatchedReasons).map((k) => L.count(`counts.unmatchedReasons.${k}`));
  L.rel(c.rows, [c.treated, c.controls]);
  L.rel(c.treated, [c.mT, c.uT]);
  L.rel(c.controls, [c.mC, c.uC]);
  L.rel(c.uT, reasons);
  if ((unmatchedReasons as Obj).discarded !== undefined) L.rel(c.dT, ['counts.unmatchedReasons.discarded']);
  return c;
}

/**
 * Apply small-cell suppression to a study's results. Returns a new object (the input is not
 * changed) with every hidden figure `null`, `suppression` listing them, warnings redacted.
 * An effect whose treated or control count is small loses its numbers too (as a small subgroup).
 */
export function suppressStudyResults<T extends object>(raw: T, minCellCount: number): T & { suppression: SuppressionReport } {
  const r = structuredClone(raw) as T & Obj;
  const complementaryRows: string[] = [];
  const smallRows: string[] = [];
  // Tables whose rows are suppressed upstream: at least two hidden rows or none.
  const subgroups = (r.subgroups as Obj[] | undefined) ?? [];
  subgroups.forEach((sg, g) => {
    const rows = (sg.rows as Obj[]) ?? [];
    rows.forEach((x, k) => x.suppressed === true && smallRows.push(`subgroups.${g}.rows.${k}`));
    tableRule(rows, `subgroups.${g}.rows`, complementaryRows);
  });
  const arms = (r.arms as Obj[] | undefined) ?? [];
  arms.forEach((a, k) => a.suppressed === true && smallRows.push(`arms.${k}`));
  tableRule(arms, 'arms', complementaryRows);

  const L = new Ledger(r);
  const { rows, treated, controls, mT, mC } = declareCounts(L, (getPath(r, 'counts.unmatchedReasons') as Obj | undefined) ?? {});
  const inputs = (r.inputs as Obj[] | undefined) ?? [];
  inputs.forEach((inp, k) => {
    const p = L.count(`inputs.${k}.rows`);
    if (inp.role === 'persons') L.rel(rows, [p]);
  });
  const overlap = (r.overlap as Obj[] | undefined) ?? [];
  const cols = { treatedBefore: treated, controlBefore: controls, treatedAfter: mT, controlAfter: mC } as const;
  const parts: Record<string, (string | null)[]> = { treatedBefore: [], controlBefore: [], treatedAfter: [], controlAfter: [], controlAfterWeighted: [] };
  overlap.forEach((_, k) => {
    for (const c of Object.keys(cols)) parts[c]!.push(L.count(`overlap.${k}.${c}`));
    const tw = L.figure(`overlap.${k}.treatedAfterWeighted`);
    const cw = L.figure(`overlap.${k}.controlAfterWeighted`);
    parts.controlAfterWeighted!.push(cw);
    if (tw) L.links.push([`overlap.${k}.treatedAfter`, tw]), L.rel(tw, [`overlap.${k}.treatedAfter`]);
    if (cw) L.links.push([`overlap.${k}.controlAfter`, cw]), L.rel(cw, [`overlap.${k}.controlAfter`]);
  });
  if (overlap.length) {
    for (const [c, total] of Object.entries(cols)) L.rel(total, parts[c]!);
    L.rel(mC, parts.controlAfterWeighted!);
  }
  const outcomes = (r.outcomes as Obj[] | undefined) ?? [];
  const effectCells: { base: string; nT: string | null; nC: string | null }[] = [];
  outcomes.forEach((_, i) => {
    const nT = L.count(`outcomes.${i}.effect.nTreated`);
    const nC = L.count(`outcomes.${i}.effect.nControls`);
    L.rel(mT, [nT]);
    L.rel(mC, [nC]);
    effectCells.push({ base: `outcomes.${i}.effect`, nT, nC });
    const curve = (getPath(r, `outcomes.${i}.curve`) as Obj[] | undefined) ?? [];
    curve.forEach((_, k) => {
      const a = L.count(`outcomes.${i}.curve.${k}.nTreated`);
      const b = L.count(`outcomes.${i}.curve.${k}.nControls`);
      L.rel(mT, [a]);
      L.rel(mC, [b]);
      L.rel(nT, [a]);
      effectCells.push({ base: `outcomes.${i}.curve.${k}`, nT: a, nC: b });
    });
  });
  subgroups.forEach((sg, g) => {
    const rs = (sg.rows as Obj[]) ?? [];
    const ts = rs.map((_, k) => L.count(`subgroups.${g}.rows.${k}.nTreated`));
    L.rel(mT, ts);
  });
  arms.forEach((_, k) => (L.count(`arms.${k}.nTreated`), L.count(`arms.${k}.nControls`)));
  L.count('sensitivity.rosenbaum.discordantTreated');
  L.count('sensitivity.rosenbaum.discordantControl');

  // Upstream-hidden rows are primary already (null values); their cells are in the ledger as nulls.
  const plan = planSuppression(L.cells, L.relations, minCellCount, L.links);
  for (const p of plan.hidden) setPath(r, p, null);
  // An effect over a small group loses its numbers too.
  for (const e of effectCells) {
    const small = (k: string | null) => k !== null && plan.primary.includes(k);
    if (small(e.nT) || small(e.nC)) {
      for (const k of EFFECT_NUMBERS) if (getPath(r, `${e.base}.${k}`) !== undefined) setPath(r, `${e.base}.${k}`, null);
      if (e.base.endsWith('.effect')) {
        const surv = getPath(r, e.base.replace(/\.effect$/, '.survival')) as Obj | undefined;
        if (surv) {
          surv.points = [];
          surv.treated = [];
          surv.control = [];
          surv.medianTreated = null;
          surv.medianControl = null;
        }
      }
    }
  }
  // Costs divide by the treated count: hide them when that count is hidden.
  const costs = r.costs as Obj | null | undefined;
  if (costs && effectCells.some((e) => e.nT !== null && plan.hidden.includes(e.nT))) {
    for (const k of ['costPerTreated', 'extra', 'extraLower', 'extraUpper', 'costPerExtra', 'lower', 'upper']) costs[k] = null;
    costs.note =
      `${String(costs.note ?? '')} Figures that depend on the number of treated are suppressed (fewer than ${minCellCount} units, or needed to protect such a cell).`.trim();
  }
  const o = r as Obj;
  if (Array.isArray(o.warnings)) o.warnings = (o.warnings as string[]).map((w) => redactSmallCounts(w, minCellCount));
  const notes = getPath(r, 'sensitivity.notes');
  if (Array.isArray(notes))
    setPath(
      r,
      'sensitivity.notes',
      (notes as string[]).map((w) => redactSmallCounts(w, minCellCount)),
    );
  const small = [...smallRows, ...plan.primary.filter((p) => !smallRows.some((s) => p.startsWith(`${s}.`)) && L.cells.get(p)!.value !== null)];
  const complementary = [...complementaryRows, ...plan.complementary];
  (r as Obj).suppression = { minCellCount, small, complementary } satisfies SuppressionReport;
  return r as T & { suppression: SuppressionReport };
}

/** The counts `estimate` prints, with the derived "unmatched, not discarded" figures. */
export interface EstimateCounts {
  rows: number;
  treated: number;
  controls: number;
  matchedTreated: number;
  matchedControls: number;
  unmatchedTreated: number;
  unmatchedControls: number;
  discardedTreated: number;
  discardedControls: number;
  unmatchedReasons: Readonly<Record<string, number>>;
}

export type PublicCounts = { [K in Exclude<keyof EstimateCounts, 'unmatchedReasons'>]: number | null } & {
  unmatchedReasons: Record<string, number | null>;
};

/**
 * Suppress the counts of an `estimate` run (and the effect's treated/control counts). Returns
 * the public counts, the effect's counts, the two derived "unmatched but not discarded"
 * figures the summary table prints, and the report of what was hidden.
 */
export function suppressEstimateCounts(
  counts: EstimateCounts,
  effect: { nTreated: number; nControls: number },
  minCellCount: number,
): {
  counts: PublicCounts;
  nTreated: number | null;
  nControls: number | null;
  unmatchedKeptTreated: number | null;
  unmatchedKeptControls: number | null;
  suppression: SuppressionReport;
} {
  const root = {
    counts: structuredClone(counts) as unknown as Obj,
    effect: { nTreated: effect.nTreated, nControls: effect.nControls },
    derived: {
      unmatchedKeptTreated: counts.unmatchedTreated - counts.discardedTreated,
      unmatchedKeptControls: counts.unmatchedControls - counts.discardedControls,
    },
  };
  const L = new Ledger(root);
  const { mT, mC, uT, uC, dT, dC } = declareCounts(L, counts.unmatchedReasons);
  const kT = L.count('derived.unmatchedKeptTreated');
  const kC = L.count('derived.unmatchedKeptControls');
  const nT = L.count('effect.nTreated');
  const nC = L.count('effect.nControls');
  L.rel(uT, [dT, kT]);
  L.rel(uC, [dC, kC]);
  L.rel(mT, [nT]);
  L.rel(mC, [nC]);
  const plan = planSuppression(L.cells, L.relations, minCellCount);
  for (const p of plan.hidden) setPath(root, p, null);
  return {
    counts: root.counts as unknown as PublicCounts,
    nTreated: root.effect.nTreated,
    nControls: root.effect.nControls,
    unmatchedKeptTreated: root.derived.unmatchedKeptTreated,
    unmatchedKeptControls: root.derived.unmatchedKeptControls,
    suppression: { minCellCount, small: plan.primary, complementary: plan.complementary },
  };
}
