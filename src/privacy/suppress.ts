/**
 * Small-cell suppression: one final pass over every number that leaves the program.
 *
 * Primary suppression: every count of people (units, treated, controls, matched, unmatched,
 * histogram bins, subgroup and arm sizes, discordant pairs) from 1 to `minCellCount − 1` is
 * replaced by `null` and listed in a `suppressed` marker. A zero is shown: it describes nobody.
 *
 * Complementary suppression: the published figures obey sums (treated = matched + unmatched
 * treated; the bins of a histogram add up to their group; the headline effect's treated count is
 * the matched-treated count …). After the primary cells are hidden, the pass solves that linear
 * system for the hidden cells; while any primary cell could still be recovered by subtraction,
 * it hides one more figure of a sum that contains it (the one that leaves the fewest primary
 * cells recoverable, then the smallest). The check is exact linear algebra over every sum at
 * once, not one equation at a time. Browser-safe: no Node imports.
 */

/** A figure that may be hidden: its value (null when already hidden upstream) and whether it counts people. */
export interface Cell {
  readonly value: number | null;
  /** A count of people: hidden when 0 < value < minCellCount. */
  readonly count: boolean;
}

/** A published identity: value(total) = Σ value(parts). Only add relations that hold. */
export interface Relation {
  readonly total: string;
  readonly parts: readonly string[];
}

export interface SuppressionPlan {
  /** Every hidden cell (primary and complementary), in the order they were decided. */
  readonly hidden: readonly string[];
  /** Cells hidden because they are small counts (or were hidden upstream). */
  readonly primary: readonly string[];
  /** Cells hidden so that no primary cell can be recovered by subtraction. */
  readonly complementary: readonly string[];
}

const EPS = 1e-9;
/** Candidates tried per added cell. */
const MAX_TRIALS = 200;

/**
 * The hidden cells of `sensitive` that the relations determine, given every other cell is shown.
 * A hidden cell is determined iff no solution of the homogeneous system moves it: in the
 * reduced row echelon form of the relations restricted to hidden cells, its column is a pivot
 * whose row has no free-column entries.
 */
export function recoverableCells(hidden: ReadonlySet<string>, sensitive: Iterable<string>, relations: readonly Relation[]): string[] {
  const cols = [...hidden];
  const colOf = new Map(cols.map((c, j) => [c, j]));
  const rows: number[][] = [];
  for (const r of relations) {
    const row = new Array<number>(cols.length).fill(0);
    let any = false;
    const add = (k: string, v: number) => {
      const j = colOf.get(k);
      if (j !== undefined) {
        row[j]! += v;
        any = true;
      }
    };
    add(r.total, 1);
    for (const p of r.parts) add(p, -1);
    if (any) rows.push(row);
  }
  // Reduced row echelon form (Gauss–Jordan with partial pivoting).
  const pivotRowOfCol = new Map<number, number>();
  let rank = 0;
  for (let j = 0; j < cols.length && rank < rows.length; j++) {
    let best = rank;
    for (let i = rank + 1; i < rows.length; i++) if (Math.abs(rows[i]![j]!) > Math.abs(rows[best]![j]!)) best = i;
    if (Math.abs(rows[best]![j]!) < EPS) continue;
    [rows[rank], rows[best]] = [rows[best]!, rows[rank]!];
    const pr = rows[rank]!;
    const pv = pr[j]!;
    for (let k = 0; k < cols.length; k++) pr[k]! /= pv;
    for (let i = 0; i < rows.length; i++) {
      if (i === rank) continue;
      const f = rows[i]![j]!;
      if (Math.abs(f) < EPS) continue;
      const ri = rows[i]!;
      for (let k = 0; k < cols.length; k++) ri[k]! -= f * pr[k]!;
    }
    pivotRowOfCol.set(j, rank);
    rank++;
  }
  const out: string[] = [];
  for (const s of sensitive) {
    const j = colOf.get(s);
    if (j === undefined) continue;
    const r = pivotRowOfCol.get(j);
    if (r === undefined) continue; // a free column: not determined
    const row = rows[r]!;
    let free = false;
    for (let k = 0; k < cols.length && !free; k++) if (k !== j && !pivotRowOfCol.has(k) && Math.abs(row[k]!) > EPS) free = true;
    if (!free) out.push(s);
  }
  return out;
}

/**
 * Decide which cells to hide. `links` ties cells together: when the first of a pair is a
 * primary cell, the second is hidden as a primary cell too (e.g. a weighted histogram bar and
 * the count of people behind it).
 */
export function planSuppression(
  cells: ReadonlyMap<string, Cell>,
  relations: readonly Relation[],
  minCellCount: number,
  links: readonly (readonly [string, string])[] = [],
): SuppressionPlan {
  const primary: string[] = [];
  for (const [k, c] of cells) if (c.value === null || (c.count && c.value > 0 && c.value < minCellCount)) primary.push(k);
  const primarySet = new Set(primary);
  for (const [a, b] of links) if (primarySet.has(a) && !primarySet.has(b) && cells.has(b)) primarySet.add(b), primary.push(b);
  const hidden = new Set(primary);
  const complementary: string[] = [];
  const rels = relations.filter((r) => cells.has(r.total) && r.parts.every((p) => cells.has(p)));
  const isTotal = new Set(rels.map((r) => r.total));
  const shortest = new Map<string, number>();
  for (const r of rels) for (const m of [r.total, ...r.parts]) shortest.set(m, Math.min(shortest.get(m) ?? Infinity, r.parts.length + 1));
  for (let guard = 0; guard <= cells.size; guard++) {
    const open = recoverableCells(hidden, primary, rels);
    if (!open.length) break;
    const s = open[0]!;
    // Candidates: shown members of the sums that reach s through hidden cells, nearest first.
    const distance = new Map<string, number>();
    const reached = new Set([s]);
    let frontier = [s];
    for (let d = 0; frontier.length; d++) {
      const next: string[] = [];
      for (const r of rels) {
        const members = [r.total, ...r.parts];
        if (!members.some((m) => frontier.includes(m))) continue;
        for (const m of members) {
          if (!hidden.has(m)) {
            if (!distance.has(m)) distance.set(m, d);
          } else if (!reached.has(m)) reached.add(m), next.push(m);
        }
      }
      frontier = next;
    }
    if (!distance.size) break; // cannot happen: a determined cell sits in a sum with a shown member
    let best: { key: string; open: number; dist: number; value: number; total: boolean } | null = null;
    // Try the nearest, smallest candidates first; stop at the first that protects every cell,
    // and try at most MAX_TRIALS (the work stays linear in the number of published figures).
    // Members of short sums first (an identity a = b is the likeliest way back to a cell).
    const order = [...distance].sort(([ka, da], [kb, db]) => {
      const va = cells.get(ka)!.value ?? 0;
      const vb = cells.get(kb)!.value ?? 0;
      return (
        da - db ||
        (shortest.get(ka) ?? 0) - (shortest.get(kb) ?? 0) ||
        (va > 0 ? 0 : 1) - (vb > 0 ? 0 : 1) ||
        Number(isTotal.has(ka)) - Number(isTotal.has(kb)) ||
        va - vb
      );
    });
    for (const [key, dist] of order.slice(0, MAX_TRIALS)) {
      if (best && best.open === 0) break;
      hidden.add(key);
      const nOpen = recoverableCells(hidden, primary, rels).length;
      hidden.delete(key);
      const v = cells.get(key)!.value ?? 0;
      const total = isTotal.has(key);
      const rank = (x: { open: number; dist: number; value: number; total: boolean }) => [x.open, x.dist, x.value > 0 ? 0 : 1, x.total ? 1 : 0, x.value];
      const a = rank({ open: nOpen, dist, value: v, total });
      const b = best ? rank(best) : null;
      let better = b === null;
      for (let q = 0; b && q < a.length; q++) {
        if (a[q]! !== b[q]!) {
          better = a[q]! < b[q]!;
          break;
        }
      }
      if (better) best = { key, open: nOpen, dist, value: v, total };
    }
    hidden.add(best!.key);
    complementary.push(best!.key);
  }
  return { hidden: [...primary, ...complementary], primary, complementary };
}

/** Whether a relation holds for the given values (so that a reader could use it). */
export function holds(cells: ReadonlyMap<string, Cell>, total: string, parts: readonly string[], tolerance = 1e-6): boolean {
  const t = cells.get(total)?.value;
  if (t === null || t === undefined) return false;
  let s = 0;
  for (const p of parts) {
    const v = cells.get(p)?.value;
    if (v === null || v === undefined) return false;
    s += v;
  }
  return Math.abs(t - s) <= tolerance * Math.max(1, Math.abs(t));
}

/**
 * Redact small counts in free text (warnings): an integer from 1 to minCellCount − 1 written
 * before a word that counts people ("5 treated unit(s)", "3 contract spell(s)") becomes
 * "fewer than 10".
 */
export function redactSmallCounts(text: string, minCellCount: number): string {
  return text.replace(
    /(?<![\d.,])(\d+)(?![\d.,])(?=\s+(?:of\s+\d+\s+)?(?:treated|control|controls|units?|unit\(s\)|people|persons?|contract|spells?|spell\(s\)|rows?|row\(s\)|observations?|records?|pairs?|pair\(s\)|matches|participants?|individuals?)\b)/g,
    (m) => {
      const n = Number(m);
      return n > 0 && n < minCellCount ? `fewer than ${minCellCount}` : m;
    },
  );
}

/** "<10" for a hidden count, the number with thousands separators otherwise. */
export function countText(n: number | null | undefined, minCellCount: number): string {
  if (n === null || n === undefined) return `<${minCellCount}`;
  return Number.isInteger(n) ? n.toLocaleString('en') : String(n);
}
