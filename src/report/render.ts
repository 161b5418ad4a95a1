/**
 * The HTML report: one self-contained file (no network, no scripts), summary first, plots as
 * inline SVG rendered from Vega-Lite specifications with vega (no DOM needed), tables, and a
 * reproducibility block. It reads only the (already suppressed) aggregates of StudyResults.
 *
 * Conventions (docs/reading-the-report.md): treated are always orange and controls always
 * green; differences of proportions are in percentage points (pp), levels and rates in %;
 * every number goes through one formatter (format.ts); every user string is escaped and
 * bidi-isolated (<bdi> in HTML, FSI…PDI in SVG), and long labels are wrapped.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { OutcomeResult, StudyResults } from '../study/run.js';
import { cleanText, count as countFmt, decimalsFor, escapeHtml, fixed, percent, plotLabel, pp, pValue, significant, userHtml } from './format.js';

export { escapeHtml } from './format.js';

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';

/** One colour per group, in every plot. */
export const GROUP_COLOURS = { treated: '#d95f02', controls: '#1b9e77' } as const;
const GROUP_SCALE = { domain: ['treated', 'controls'], range: [GROUP_COLOURS.treated, GROUP_COLOURS.controls] };
/** Colours of things that are not groups: effects (ATT) and before/after in the love plot. */
const EFFECT_COLOUR = '#3b3b98';
const BEFORE_COLOUR = '#9e9e9e';

async function svg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 560,
    height: 260,
    config: {
      // No ARIA descriptions: vega-lite builds them as expressions from titles, which user text
      // (line separators, backslashes) can break; each figure has an HTML caption instead.
      aria: false,
      font: FONT,
      axis: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0, titleLimit: 0 },
      legend: { labelFontSize: 11, labelLimit: 0 },
    },
    ...spec,
  } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const out = await view.toSVG();
  view.finalize();
  return out;
}

/** Multi-line axis labels: plotLabel() joins lines with "\n"; vega draws an array as lines. */
const LINES = { labelExpr: "split(datum.label, '\\n')" };
/** A title from user text: wrapped lines as an array (vega draws one line per element). */
const titleOf = (s: string, width = 70, maxLines = 2): string[] => plotLabel(s, width, maxLines).split('\n');

/** The outcome is a proportion (0/1 outcome, employment, survival): shown in pp and %. */
export function isProportion(o: OutcomeResult): boolean {
  if (o.type !== 'binary') return true;
  const inUnit = (x: number | null) => x === null || (x >= 0 && x <= 1);
  return o.effect.meanTreated !== null && inUnit(o.effect.meanTreated) && inUnit(o.effect.meanControl);
}

/** The formatter of one outcome's effects: pp for proportions, else fixed decimals in the outcome's units. */
function effectFormat(o: OutcomeResult): { v: (x: number | null) => string; unit: string; level: (x: number | null) => string } {
  if (isProportion(o)) return { v: (x) => pp(x), unit: 'pp', level: (x) => percent(x) };
  const e = o.effect;
  const d = decimalsFor([e.estimate, e.ciLower, e.ciUpper, e.se]);
  const dl = decimalsFor([e.meanTreated, e.meanControl]);
  return { v: (x) => fixed(x, d), unit: '', level: (x) => fixed(x, dl) };
}

/** The outcome's definition from the study settings (for axis titles). */
function outcomeDef(r: StudyResults, k: number): Record<string, unknown> {
  const list = (r.settings as { outcomes?: unknown }).outcomes;
  return Array.isArray(list) && typeof list[k] === 'object' && list[k] !== null ? (list[k] as Record<string, unknown>) : {};
}

/** The summary sentence: "raised"/"lowered" only when the CI excludes 0. */
export function effectSentence(o: OutcomeResult, level = 0.95): string {
  const e = o.effect;
  const f = effectFormat(o);
  const L = Math.round(level * 100);
  const label = `<strong>${userHtml(o.label)}</strong>`;
  const unit = f.unit ? ` ${f.unit === 'pp' ? 'percentage points' : f.unit}` : '';
  const n =
    e.nTreated === null
      ? 'among the matched treated units (their number is suppressed: fewer than the minimum cell count, or needed to protect one)'
      : `among ${countFmt(e.nTreated)} matched treated units`;
  const levels =
    e.meanTreated !== null && e.meanControl !== null
      ? ` Treated: ${escapeHtml(f.level(e.meanTreated))}; matched controls: ${escapeHtml(f.level(e.meanControl))}.`
      : '';
  if (e.estimate === null)
    return `The effect on ${label} is not shown: it rests on fewer units than the minimum cell count, or could not be estimated.${levels}`;
  const p = e.pValue === null ? '' : `; p ${pValue(e.pValue).startsWith('<') ? pValue(e.pValue) : `= ${pValue(e.pValue)}`}`;
  if (e.ciLower === null || e.ciUpper === null)
    return `The estimated effect on ${label} is ${escapeHtml(f.v(e.estimate))}${escapeHtml(unit)} ${n}; no confidence interval was computed, so no claim of significance is made.${levels}`;
  const ci = `${L}% CI ${escapeHtml(f.v(e.ciLower))} to ${escapeHtml(f.v(e.ciUpper))}${escapeHtml(unit)}${escapeHtml(p)}`;
  if (e.ciLower <= 0 && e.ciUpper >= 0)
    return `No significant effect on ${label}: the estimate is ${escapeHtml(f.v(e.estimate))}${escapeHtml(unit)} (${ci}), and the ${L}% confidence interval includes zero, ${n}.${levels}`;
  const dir = e.estimate >= 0 ? 'raised' : 'lowered';
  return `The programme ${dir} ${label} by <strong>${escapeHtml(f.v(Math.abs(e.estimate)))}${escapeHtml(unit)}</strong> (${ci}) ${n}.${levels}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], cls = '', userColumns: readonly number[] = [0]): string {
  return `<table class="${escapeHtml(cls)}"><thead><tr>${header.map((h, j) => `<th${j > 0 && !userColumns.includes(j) ? ' class="num"' : ''}>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map(
      (r) =>
        `<tr>${r.map((c, j) => (userColumns.includes(j) ? `<td class="label">${userHtml(c)}</td>` : `<td class="${j > 0 ? 'num' : ''}">${escapeHtml(c)}</td>`)).join('')}</tr>`,
    )
    .join('')}</tbody></table>`;
}

function figure(id: string, titleHtml: string, body: string, caption: string): string {
  return `<figure class="chart" data-chart="${escapeHtml(id)}"><figcaption><strong>${titleHtml}</strong> — ${escapeHtml(caption)}</figcaption>${body}</figure>`;
}

/** Unique plot labels (wrapping and cutting can make two labels equal). */
function uniqueLabels(names: readonly string[], width?: number): Map<string, string> {
  const seen = new Map<string, number>();
  const out = new Map<string, string>();
  for (const n of names) {
    let l = plotLabel(n, width);
    const k = (seen.get(l) ?? 0) + 1;
    seen.set(l, k);
    if (k > 1) l = `${l} (${k})`;
    out.set(n, l);
  }
  return out;
}

/** Flatten settings into key/value rows that wrap in print. */
function settingRows(x: unknown, prefix = ''): [string, string][] {
  if (x === undefined) return [];
  if (x === null) return [[prefix || 'value', 'none']];
  if (typeof x !== 'object') return [[prefix || 'value', typeof x === 'string' ? x : JSON.stringify(x)]];
  if (Array.isArray(x)) {
    if (x.every((v) => v === null || typeof v !== 'object'))
      return [[prefix, x.length ? x.map((v) => (v === null ? 'none' : typeof v === 'string' ? v : JSON.stringify(v))).join(', ') : 'none']];
    return x.flatMap((v, k) => settingRows(v, `${prefix}[${k}]`));
  }
  return Object.entries(x as Record<string, unknown>).flatMap(([k, v]) => settingRows(v, prefix ? `${prefix}.${k}` : k));
}

/**
 * Render the report for a study's results. Async because vega renders asynchronously.
 * Cost: O(size of the aggregates); no unit-level data is read.
 */
export async function renderReport(r: StudyResults): Promise<string> {
  const parts: string[] = [];
  const level = typeof r.settings.level === 'number' ? (r.settings.level as number) : 0.95;
  const L = Math.round(level * 100);
  const min = r.minCellCount;
  const small = new Set(r.suppression?.small ?? []);
  const comp = new Set(r.suppression?.complementary ?? []);
  const hiddenAs = (path: string): 'small' | 'complementary' | null => (small.has(path) ? 'small' : comp.has(path) ? 'complementary' : null);
  const cnt = (path: string, v: number | null | undefined) => countFmt(v, v === null || v === undefined ? (hiddenAs(path) ?? 'small') : null, min);
  const c = r.counts;

  // Summary.
  const reasons = Object.entries(c.unmatchedReasons)
    .map(([k, v]) => `${cnt(`counts.unmatchedReasons.${k}`, v)} ${k.replace(/-/g, ' ')}`)
    .join(', ');
  const balanceLine = r.balance.balanced
    ? `Balance: every covariate within |SMD| < ${fixed(r.balance.threshold, 2)} after matching (largest ${fixed(r.balance.maxAbsSmdAfter, 3)}).`
    : `Balance: ${countFmt(r.balance.flaggedAfter)} covariate(s) with |SMD| ≥ ${fixed(r.balance.threshold, 2)} after matching — see the balance table.`;
  const hiddenNote =
    (r.suppression?.small.length ?? 0) + (r.suppression?.complementary.length ?? 0) > 0
      ? `<p class="note">Counts under ${min} are shown as “&lt;${min}”; figures hidden so that such a count cannot be recovered by subtraction are shown as “suppressed”.</p>`
      : '';
  parts.push(`<section id="summary"><h2>Summary</h2>${r.outcomes.map((o) => `<p class="headline">${effectSentence(o, level)}</p>`).join('')}
<p>${escapeHtml(
    `${cnt('counts.rows', c.rows)} units: ${cnt('counts.treated', c.treated)} treated, ${cnt('counts.controls', c.controls)} controls. Matched: ${cnt('counts.matchedTreated', c.matchedTreated)} treated and ${cnt('counts.matchedControls', c.matchedControls)} controls; unmatched treated: ${cnt('counts.unmatchedTreated', c.unmatchedTreated)}${reasons ? ` (${reasons})` : ''}.`,
  )}</p>${hiddenNote}
<p class="${r.balance.balanced ? 'ok' : 'warn'}">${escapeHtml(balanceLine)}</p>
${r.warnings.length ? `<div class="warnings"><h3>Warnings</h3><ul>${r.warnings.map((w) => `<li>${userHtml(w)}</li>`).join('')}</ul></div>` : ''}</section>`);

  // Plots.
  const plots: string[] = [];
  const share = (v: number | null, total: number) => (v === null || total <= 0 ? null : (100 * v) / total);
  const sumShown = (xs: (number | null)[]) => xs.reduce<number>((s, x) => s + (x ?? 0), 0);
  const totals = {
    tb: c.treated ?? sumShown(r.overlap.map((b) => b.treatedBefore)),
    cb: c.controls ?? sumShown(r.overlap.map((b) => b.controlBefore)),
    ta: c.matchedTreated ?? sumShown(r.overlap.map((b) => b.treatedAfterWeighted)),
    ca: c.matchedControls ?? sumShown(r.overlap.map((b) => b.controlAfterWeighted)),
  };
  const ov = r.overlap.flatMap((b) => {
    const score = (b.lo + b.hi) / 2;
    return [
      { score, group: 'treated', phase: 'before', pct: share(b.treatedBefore, totals.tb) },
      { score, group: 'controls', phase: 'before', pct: share(b.controlBefore, totals.cb) },
      { score, group: 'treated', phase: 'after', pct: share(b.treatedAfterWeighted, totals.ta) },
      { score, group: 'controls', phase: 'after', pct: share(b.controlAfterWeighted, totals.ca) },
    ].filter((d) => d.pct !== null);
  });
  for (const phase of ['before', 'after'] as const) {
    if (!ov.some((d) => d.phase === phase)) {
      plots.push(
        `<p class="note" data-chart="overlap-${phase}">Propensity-score overlap ${phase} matching: not shown, every score bin holds fewer than ${min} units.</p>`,
      );
      continue;
    }
    plots.push(
      figure(
        `overlap-${phase}`,
        `Propensity-score overlap, ${phase} matching${phase === 'after' ? ' (weighted)' : ''}`,
        await svg({
          data: { values: ov.filter((d) => d.phase === phase) },
          mark: { type: 'bar', opacity: 0.55, binSpacing: 0 },
          encoding: {
            x: { field: 'score', type: 'quantitative', bin: { step: 0.05, extent: [0, 1] }, title: 'propensity score (probability of treatment)' },
            y: {
              field: 'pct',
              type: 'quantitative',
              aggregate: 'sum',
              stack: null,
              title: phase === 'before' ? 'units (% of group)' : 'matching weight (% of group)',
            },
            color: { field: 'group', type: 'nominal', title: 'group', scale: GROUP_SCALE },
          },
        }),
        phase === 'before'
          ? `share of each group's units in each score bin; bins with fewer than ${min} units are not drawn`
          : `share of each group's matching weight in each score bin (a control matched to several treated counts that many times); bins with fewer than ${min} units are not drawn`,
      ),
    );
  }
  const loveNames = uniqueLabels(r.balance.rows.map((b) => b.covariate));
  const love = r.balance.rows
    .flatMap((b) => [
      { covariate: loveNames.get(b.covariate)!, when: 'before matching', smd: b.smdBefore },
      { covariate: loveNames.get(b.covariate)!, when: 'after matching', smd: b.smdAfter },
    ])
    .filter((d) => Number.isFinite(d.smd));
  const loveLines = r.balance.rows.reduce((s, b) => s + loveNames.get(b.covariate)!.split('\n').length, 0);
  plots.push(
    figure(
      'love',
      'Love plot',
      await svg({
        width: 420,
        height: Math.max(160, 16 * loveLines + 6 * r.balance.rows.length),
        layer: [
          {
            data: { values: love },
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              y: { field: 'covariate', type: 'nominal', sort: null, title: null, axis: LINES },
              x: { field: 'smd', type: 'quantitative', title: 'standardised mean difference (treated − controls)' },
              color: {
                field: 'when',
                type: 'nominal',
                title: null,
                scale: { domain: ['before matching', 'after matching'], range: [BEFORE_COLOUR, EFFECT_COLOUR] },
              },
            },
          },
          {
            data: { values: [{ x: -r.balance.threshold }, { x: r.balance.threshold }] },
            mark: { type: 'rule', strokeDash: [4, 4], color: '#c00' },
            encoding: { x: { field: 'x', type: 'quantitative' } },
          },
        ],
      }),
      `standardised mean differences before and after matching; dashed lines at ±${fixed(r.balance.threshold, 2)}`,
    ),
  );
  for (const [k, o] of r.outcomes.entries()) {
    const def = outcomeDef(r, k);
    const title = `<bdi>${escapeHtml(cleanText(o.label))}</bdi>`;
    if (o.curve?.some((p) => p.estimate !== null)) {
      const ref = typeof def.referenceDate === 'string' ? def.referenceDate : 'the reference date';
      const xTitle = titleOf(`months after ${ref}`);
      const pts = o.curve.map((p) => ({
        horizon: p.horizon,
        estimate: p.estimate === null ? null : p.estimate * 100,
        lo: p.ciLower === null ? null : p.ciLower * 100,
        hi: p.ciUpper === null ? null : p.ciUpper * 100,
        treated: p.meanTreated === null ? null : p.meanTreated * 100,
        control: p.meanControl === null ? null : p.meanControl * 100,
      }));
      plots.push(
        figure(
          'curve',
          `Effect over time: ${title}`,
          await svg({
            data: { values: pts.filter((p) => p.estimate !== null) },
            layer: [
              {
                mark: { type: 'area', opacity: 0.2, color: EFFECT_COLOUR },
                encoding: {
                  x: { field: 'horizon', type: 'quantitative', title: xTitle },
                  y: { field: 'lo', type: 'quantitative', title: 'ATT (percentage points)' },
                  y2: { field: 'hi' },
                },
              },
              {
                mark: { type: 'line', point: true, color: EFFECT_COLOUR },
                encoding: { x: { field: 'horizon', type: 'quantitative' }, y: { field: 'estimate', type: 'quantitative' } },
              },
              { data: { values: [{ y: 0 }] }, mark: { type: 'rule', color: '#666' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
            ],
          }),
          `ATT at each horizon in percentage points, with its ${L}% confidence band`,
        ),
      );
      const lv = pts.flatMap((p) => [
        { horizon: p.horizon, group: 'treated', rate: p.treated },
        { horizon: p.horizon, group: 'controls', rate: p.control },
      ]);
      plots.push(
        figure(
          'levels',
          `Outcome levels over time: ${title}`,
          await svg({
            data: { values: lv.filter((d) => d.rate !== null) },
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'horizon', type: 'quantitative', title: xTitle },
              y: { field: 'rate', type: 'quantitative', title: 'employed (% of group)', scale: { domain: [0, 100] } },
              color: { field: 'group', type: 'nominal', title: 'group', scale: GROUP_SCALE },
            },
          }),
          'employment rates (%) of the treated and of their matched controls',
        ),
      );
    }
    if (o.survival && o.survival.treated.length) {
      const s = o.survival;
      const timeCol = typeof def.time === 'string' ? def.time : 'time';
      const toPct = (p: { time: number; survival: number | null; lower: number | null; upper: number | null }, group: string) => ({
        time: p.time,
        group,
        survival: p.survival === null ? null : p.survival * 100,
        lower: p.lower === null ? null : p.lower * 100,
        upper: p.upper === null ? null : p.upper * 100,
      });
      const km = [...s.treated.map((p) => toPct(p, 'treated')), ...s.control.map((p) => toPct(p, 'controls'))];
      plots.push(
        figure(
          'km',
          `Kaplan–Meier: ${title}`,
          await svg({
            data: { values: km },
            layer: [
              {
                mark: { type: 'area', opacity: 0.2, interpolate: 'step-after' },
                encoding: {
                  x: { field: 'time', type: 'quantitative', title: titleOf(`time (${timeCol})`) },
                  y: { field: 'lower', type: 'quantitative', title: 'surviving (% of group)', scale: { domain: [0, 100] } },
                  y2: { field: 'upper' },
                  color: { field: 'group', type: 'nominal', title: 'group', scale: GROUP_SCALE },
                },
              },
              {
                mark: { type: 'line', interpolate: 'step-after' },
                encoding: {
                  x: { field: 'time', type: 'quantitative' },
                  y: { field: 'survival', type: 'quantitative' },
                  color: { field: 'group', type: 'nominal', scale: GROUP_SCALE },
                },
              },
            ],
          }),
          `survival (%) of the treated and of their matched controls with ${L}% confidence bands (SE: ${s.bandSe}; log-rank p ${pValue(s.logRank.pValue).startsWith('<') ? pValue(s.logRank.pValue) : `= ${pValue(s.logRank.pValue)}`})`,
        ),
      );
    }
  }
  const first = r.outcomes[0];
  const firstProp = first ? isProportion(first) : false;
  for (const sg of r.subgroups) {
    const rows = sg.rows.filter((x) => !x.suppressed && typeof x.estimate === 'number') as unknown as {
      subgroup: string;
      estimate: number;
      ciLower: number | null;
      ciUpper: number | null;
    }[];
    if (!rows.length) continue;
    const scale = firstProp ? 100 : 1;
    const names = uniqueLabels(rows.map((x) => String(x.subgroup)));
    const data = rows.map((x) => ({
      subgroup: names.get(String(x.subgroup))!,
      estimate: x.estimate * scale,
      ciLower: x.ciLower === null ? null : x.ciLower * scale,
      ciUpper: x.ciUpper === null ? null : x.ciUpper * scale,
    }));
    const overall = first?.effect.estimate ?? null;
    const sub = titleOf(`ATT on ${first?.label ?? sg.outcome}${firstProp ? ' (percentage points)' : ''}`);
    plots.push(
      figure(
        `forest-${sg.by}`,
        `Subgroups by <bdi>${escapeHtml(cleanText(sg.label))}</bdi>`,
        await svg({
          width: 420,
          height: Math.max(80, 30 * rows.length),
          layer: [
            {
              data: { values: data },
              mark: { type: 'rule', color: EFFECT_COLOUR },
              encoding: {
                y: { field: 'subgroup', type: 'nominal', title: null, sort: null, axis: LINES },
                x: { field: 'ciLower', type: 'quantitative', title: sub },
                x2: { field: 'ciUpper' },
              },
            },
            {
              data: { values: data },
              mark: { type: 'point', filled: true, size: 70, color: EFFECT_COLOUR },
              encoding: { y: { field: 'subgroup', type: 'nominal', sort: null }, x: { field: 'estimate', type: 'quantitative' } },
            },
            ...(overall === null
              ? []
              : [
                  {
                    data: { values: [{ x: overall * scale }] },
                    mark: { type: 'rule', strokeDash: [4, 4], color: '#c00' },
                    encoding: { x: { field: 'x', type: 'quantitative' } },
                  },
                ]),
          ],
        }),
        `estimates with ${L}% CIs; dashed line: overall ATT; suppressed cells omitted`,
      ),
    );
  }
  parts.push(`<section id="plots"><h2>Plots</h2>${plots.join('\n')}</section>`);

  // Effects table: one unit per outcome, stated in the unit column.
  const effectRows: string[][] = [];
  for (const [k, o] of r.outcomes.entries()) {
    const f = effectFormat(o);
    const prop = isProportion(o);
    const unit = prop ? 'pp' : 'outcome units';
    const e = o.effect;
    const base = `outcomes.${k}.effect`;
    effectRows.push([
      o.label,
      unit,
      f.v(e.estimate),
      f.v(e.se),
      `${f.v(e.ciLower)} to ${f.v(e.ciUpper)}`,
      pValue(e.pValue),
      f.level(e.meanTreated),
      f.level(e.meanControl),
      f.v(e.naive),
      cnt(`${base}.nTreated`, e.nTreated),
      cnt(`${base}.nControls`, e.nControls),
    ]);
    for (const [h, p] of (o.curve ?? []).entries())
      effectRows.push([
        `  at ${p.horizon} months`,
        unit,
        f.v(p.estimate),
        f.v(p.se),
        `${f.v(p.ciLower)} to ${f.v(p.ciUpper)}`,
        pValue(p.pValue),
        f.level(p.meanTreated),
        f.level(p.meanControl),
        f.v(p.naive),
        cnt(`outcomes.${k}.curve.${h}.nTreated`, p.nTreated),
        cnt(`outcomes.${k}.curve.${h}.nControls`, p.nControls),
      ]);
    for (const p of o.survival?.points ?? [])
      effectRows.push([
        `  survival difference at ${p.time} (SE: ${o.survival!.se})`,
        'pp',
        pp(p.difference),
        pp(p.se),
        `${pp(p.ciLower)} to ${pp(p.ciUpper)}`,
        '—',
        percent(p.survivalTreated),
        percent(p.survivalControl),
        '—',
        '',
        '',
      ]);
  }
  parts.push(
    `<section id="effects"><h2>Effects</h2>${table(
      ['outcome', 'unit', 'estimate', 'SE', `${L}% CI`, 'p', 'treated mean', 'control mean', 'naive difference', 'treated', 'controls'],
      effectRows,
      'effects',
    )}<p class="note">${escapeHtml(
      `Differences of proportions in percentage points (pp), levels in %. Standard errors: ${[...new Set(r.outcomes.map((o) => o.effect.method))].join('; ')}.`,
    )}</p></section>`,
  );
  if (r.arms.length) {
    const f = first ? effectFormat(first) : { v: (x: number | null) => fixed(x, 3) };
    parts.push(
      `<section id="arms"><h2>Effects by treatment arm</h2><p>Each arm against the common pool of untreated units (one propensity model and match per arm); outcome: ${userHtml(first?.label ?? '')}${firstProp ? ' (percentage points)' : ''}.</p>${table(
        ['arm', 'treated', 'controls', 'ATT', 'SE', `${L}% CI`, 'balanced'],
        r.arms.map((a, k) =>
          a.suppressed
            ? [a.arm, small.has(`arms.${k}`) ? `<${min}` : 'suppressed', 'suppressed', '—', '—', '—', '—']
            : [
                a.arm,
                cnt(`arms.${k}.nTreated`, a.nTreated),
                cnt(`arms.${k}.nControls`, a.nControls),
                f.v(a.estimate),
                f.v(a.se),
                `${f.v(a.ciLower)} to ${f.v(a.ciUpper)}`,
                a.balanced === null ? '—' : a.balanced ? 'yes' : 'no',
              ],
        ),
        'arms',
      )}</section>`,
    );
  }
  if (r.subgroups.length) {
    const f = first ? effectFormat(first) : { v: (x: number | null) => fixed(x, 3) };
    parts.push(
      `<section id="subgroups"><h2>Subgroups</h2>${r.subgroups
        .map(
          (sg, g) =>
            `<h3>By ${userHtml(sg.label)}${firstProp ? ' (ATT in percentage points)' : ''}</h3>${table(
              ['subgroup', 'treated', 'controls', 'ATT', `${L}% CI`, 'difference from overall', 'p (difference)'],
              sg.rows.map((x, k) => {
                const row = x as Record<string, number | string | null | boolean>;
                const n = (v: unknown) => (typeof v === 'number' ? v : null);
                return row.suppressed
                  ? [String(row.subgroup), small.has(`subgroups.${g}.rows.${k}`) ? `<${min}` : 'suppressed', 'suppressed', '—', '—', '—', '—']
                  : [
                      String(row.subgroup),
                      cnt(`subgroups.${g}.rows.${k}.nTreated`, n(row.nTreated)),
                      cnt(`subgroups.${g}.rows.${k}.nControls`, n(row.nControls)),
                      f.v(n(row.estimate)),
                      `${f.v(n(row.ciLower))} to ${f.v(n(row.ciUpper))}`,
                      f.v(n(row.difference)),
                      pValue(n(row.differencePValue)),
                    ];
              }),
              'subgroups',
            )}`,
        )
        .join('')}</section>`,
    );
  }
  if (r.costs) {
    const k = r.costs;
    const money = (x: number | null) => (x === null ? 'suppressed or undefined' : `€${fixed(x, 0)}`);
    parts.push(
      `<section id="costs"><h2>Cost-effectiveness</h2>${table(
        ['quantity', 'value'],
        [
          ['total programme cost', money(k.totalCost)],
          ['cost per treated unit', money(k.costPerTreated)],
          [
            `extra ${k.unit}s (ATT × treated)`,
            k.extra === null ? 'suppressed or undefined' : `${fixed(k.extra, 1)} (${fixed(k.extraLower, 1)} to ${fixed(k.extraUpper, 1)})`,
          ],
          [
            `cost per extra ${k.unit}`,
            k.costPerExtra === null
              ? 'undefined or suppressed'
              : `${money(k.costPerExtra)} (${money(k.lower)} to ${k.upper === null ? 'no upper bound' : money(k.upper)})`,
          ],
        ],
        'costs',
      )}<p>${userHtml(k.note)}</p></section>`,
    );
  }
  if (r.sensitivity.rosenbaum || r.sensitivity.evalue || r.sensitivity.confounder || r.sensitivity.notes.length) {
    const s = r.sensitivity;
    const ro = s.rosenbaum;
    parts.push(
      `<section id="sensitivity"><h2>Sensitivity to unobserved confounding</h2>${ro ? `<p>${escapeHtml(`Rosenbaum bounds (binary outcome, ${cnt('sensitivity.rosenbaum.discordantTreated', ro.discordantTreated)} + ${cnt('sensitivity.rosenbaum.discordantControl', ro.discordantControl)} discordant pairs): significance at 5% is lost at Γ = ${ro.gammaCritical === null ? '> the largest Γ tried' : fixed(ro.gammaCritical, 2)}.`)}</p>` : ''}${s.confounder ? `<p>${escapeHtml(`Simulated confounder (Ichino–Mealli–Nannicini, ${countFmt(s.confounder.reps)} draws, seed ${s.confounder.seed}): ATT ${fixed(s.confounder.att, 4)} (SE ${fixed(s.confounder.se, 4)}) against ${fixed(s.confounder.baseline, 4)} without it; outcome odds ratio Γ = ${fixed(s.confounder.outcomeOddsRatio, 2)}, selection odds ratio Λ = ${fixed(s.confounder.selectionOddsRatio, 2)}.`)}</p>` : ''}${s.evalue ? `<p>${escapeHtml(`E-value: ${fixed(s.evalue.eValue, 2)} (for the CI limit: ${fixed(s.evalue.eValueCi, 2)}); risk ratio ${fixed(s.evalue.riskRatio, 3)}.`)}</p>` : ''}${s.notes.map((n) => `<p>${userHtml(n)}</p>`).join('')}</section>`,
    );
  }
  parts.push(
    `<section id="balance"><h2>Balance</h2>${table(
      [
        'covariate',
        'type',
        'mean T before',
        'mean C before',
        'SMD before',
        'mean T after',
        'mean C after',
        'SMD after',
        'var. ratio after',
        'eCDF max after',
        '',
      ],
      r.balance.rows.map((b) => {
        const d = b.type === 'binary' ? 3 : decimalsFor([b.meanTreatedBefore, b.meanControlBefore, b.meanTreatedAfter, b.meanControlAfter]);
        return [
          b.covariate,
          b.type,
          fixed(b.meanTreatedBefore, d),
          fixed(b.meanControlBefore, d),
          fixed(b.smdBefore, 3),
          fixed(b.meanTreatedAfter, d),
          fixed(b.meanControlAfter, d),
          fixed(b.smdAfter, 3),
          fixed(b.varianceRatioAfter, 2),
          fixed(b.ecdfMaxAfter, 3),
          b.flagged ? 'imbalanced' : '',
        ];
      }),
      'balance',
    )}<p class="note">SMD as MatchIt: difference over the SD of the treated before matching; binary covariates standardised too (their means are proportions).</p></section>`,
  );
  parts.push(
    `<section id="propensity"><h2>Propensity model</h2><p>${escapeHtml(`${r.propensity.link} link; ${r.propensity.converged ? 'converged' : 'did NOT converge'} in ${r.propensity.iterations} iterations`)}${r.propensity.dropped.length ? `; dropped as collinear: ${r.propensity.dropped.map(userHtml).join(', ')}` : ''}.</p>${table(
      ['term', 'estimate', 'SE'],
      r.propensity.coefficients.map((k) => [k.name, significant(k.estimate, 4), significant(k.se, 3)]),
      'propensity',
    )}</section>`,
  );
  parts.push(
    `<section id="reproducibility"><h2>Settings and reproducibility</h2>${table(
      ['item', 'value'],
      [
        ['library', `${r.library.name} ${r.library.version}`],
        ['seed', String(r.seed)],
        ['minimum cell count', String(min)],
        ...r.inputs.map((i, k) => [`input: ${i.role}`, `${cleanText(i.file)} — ${cnt(`inputs.${k}.rows`, i.rows)} rows — sha256 ${i.sha256}`]),
        ...settingRows(r.settings).map(([k, v]) => [`setting: ${k}`, cleanText(v)]),
      ],
      'settings',
      [1],
    )}</section>`,
  );

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(cleanText(r.title))}</title>
<style>
body{font-family:${FONT};max-width:980px;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem;overflow-wrap:anywhere}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}h3{overflow-wrap:anywhere}
p,li,figcaption{overflow-wrap:anywhere}
bdi{unicode-bidi:isolate}svg text{unicode-bidi:isolate}
.headline{font-size:1.1rem}.ok{color:#155724}.warn{color:#8a4b00}.warnings{background:#fff7e6;border:1px solid #f0c36d;padding:.4rem 1rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem;width:100%;max-width:100%}
th,td{border-bottom:1px solid #e5e5e5;padding:.25rem .4rem;text-align:left;vertical-align:top}
th{overflow-wrap:break-word;hyphens:auto}td.label{overflow-wrap:anywhere}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.num{white-space:nowrap}
table.settings{table-layout:fixed}table.settings th:first-child{width:34%}table.settings td{white-space:normal;overflow-wrap:anywhere}
figure{margin:1rem 0;max-width:100%}figcaption{font-size:.85rem;margin-bottom:.3rem}
svg{max-width:100%;height:auto}.note{font-size:.8rem;color:#555}.synthetic{color:#555;font-size:.85rem}
@page{size:A4;margin:14mm 12mm}
@media print{body{max-width:none;margin:0;padding:0;font-size:10pt}h2{break-after:avoid}figure,tr{break-inside:avoid}
table{font-size:7.5pt}th,td{padding:.15rem .25rem}}
</style></head>
<body><header><h1>${userHtml(r.title)}</h1><p class="synthetic">${escapeHtml(`Counterfactual impact evaluation — ${r.library.name} ${r.library.version}, seed ${r.seed}. Aggregates only; counts under ${min} units suppressed.`)}</p></header>
${parts.join('\n')}
</body></html>
`;
}
