/**
 * The HTML report: one self-contained file (no network, no scripts), summary first, plots as
 * inline SVG rendered from Vega-Lite specifications with vega (no DOM needed), tables, and a
 * reproducibility block. Every user-supplied string is HTML-escaped; vega escapes SVG text.
 */
import * as vega from 'vega';
import * as vl from 'vega-lite';
import type { OutcomeResult, StudyResults } from '../study/run.js';

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const FONT = 'system-ui, -apple-system, Segoe UI, Roboto, Helvetica, Arial, sans-serif';

async function svg(spec: Record<string, unknown>): Promise<string> {
  const compiled = vl.compile({
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 560,
    height: 260,
    config: { font: FONT, axis: { labelFontSize: 11, titleFontSize: 12 }, legend: { labelFontSize: 11 } },
    ...spec,
  } as never).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const out = await view.toSVG();
  view.finalize();
  return out;
}

const pct = (x: number | null, digits = 1) => (x === null ? '—' : `${(x * 100).toFixed(digits)}`);
const fmt = (x: number | null, digits = 3) => (x === null ? '—' : Math.abs(x) >= 1000 ? Math.round(x).toLocaleString('en') : x.toFixed(digits));
const isProportion = (o: OutcomeResult) =>
  o.type !== 'binary' ||
  (o.effect.meanTreated !== null &&
    o.effect.meanTreated >= 0 &&
    o.effect.meanTreated <= 1 &&
    o.effect.meanControl !== null &&
    o.effect.meanControl >= 0 &&
    o.effect.meanControl <= 1);

function effectWords(o: OutcomeResult, level = 0.95): string {
  const e = o.effect;
  const prop = isProportion(o);
  const v = (x: number | null) => (prop ? `${pct(x)} percentage points` : fmt(x));
  const ci =
    e.ciLower === null
      ? ''
      : ` (${Math.round(level * 100)}% CI ${prop ? pct(e.ciLower) : fmt(e.ciLower)} to ${prop ? pct(e.ciUpper) : fmt(e.ciUpper)}${e.pValue !== null ? `; p ${e.pValue < 0.001 ? '< 0.001' : `= ${e.pValue.toFixed(3)}`}` : ''})`;
  const dir = e.estimate === null ? 'changed' : e.estimate >= 0 ? 'raised' : 'lowered';
  const levels =
    e.meanTreated !== null && e.meanControl !== null
      ? ` Treated: ${prop ? pct(e.meanTreated) + '%' : fmt(e.meanTreated)}; matched controls: ${prop ? pct(e.meanControl) + '%' : fmt(e.meanControl)}.`
      : '';
  return `The programme ${dir} <strong>${escapeHtml(o.label)}</strong> by <strong>${escapeHtml(v(e.estimate === null ? null : Math.abs(e.estimate)))}</strong>${escapeHtml(ci)} among ${e.nTreated.toLocaleString('en')} matched treated units.${escapeHtml(levels)}`;
}

function table(header: readonly string[], rows: readonly (readonly string[])[], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c, j) => `<td${j > 0 ? ' class="num"' : ''}>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

function figure(id: string, title: string, body: string, caption: string): string {
  return `<figure class="chart" data-chart="${escapeHtml(id)}"><figcaption><strong>${escapeHtml(title)}</strong> — ${escapeHtml(caption)}</figcaption>${body}</figure>`;
}

/**
 * Render the report for a study's results. Async because vega renders asynchronously.
 * Cost: O(size of the aggregates); no unit-level data is read.
 */
export async function renderReport(r: StudyResults): Promise<string> {
  const parts: string[] = [];
  const level = typeof r.settings.level === 'number' ? (r.settings.level as number) : 0.95;
  const c = r.counts;
  // Summary.
  const reasons = Object.entries(c.unmatchedReasons)
    .map(([k, v]) => `${v} ${k.replace(/-/g, ' ')}`)
    .join(', ');
  parts.push(`<section id="summary"><h2>Summary</h2>${r.outcomes.map((o) => `<p class="headline">${effectWords(o, level)}</p>`).join('')}
<p>${escapeHtml(`${c.rows.toLocaleString('en')} units: ${c.treated.toLocaleString('en')} treated, ${c.controls.toLocaleString('en')} controls. Matched: ${c.matchedTreated.toLocaleString('en')} treated and ${c.matchedControls.toLocaleString('en')} controls; unmatched treated: ${c.unmatchedTreated}${reasons ? ` (${reasons})` : ''}.`)}</p>
<p class="${r.balance.balanced ? 'ok' : 'warn'}">${escapeHtml(r.balance.balanced ? `Balance: every covariate within |SMD| < ${r.balance.threshold} after matching (largest ${r.balance.maxAbsSmdAfter.toFixed(3)}).` : `Balance: ${r.balance.flaggedAfter} covariate(s) with |SMD| ≥ ${r.balance.threshold} after matching — see the balance table.`)}</p>
${r.warnings.length ? `<div class="warnings"><h3>Warnings</h3><ul>${r.warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul></div>` : ''}</section>`);

  // Plots.
  const plots: string[] = [];
  const ov = r.overlap
    .flatMap((b) => [
      { score: (b.lo + b.hi) / 2, group: 'treated', phase: 'before matching', n: b.treatedBefore },
      { score: (b.lo + b.hi) / 2, group: 'control', phase: 'before matching', n: b.controlBefore },
      { score: (b.lo + b.hi) / 2, group: 'treated', phase: 'after matching', n: b.treatedAfter },
      { score: (b.lo + b.hi) / 2, group: 'control', phase: 'after matching', n: b.controlAfter },
    ])
    .filter((d) => d.n !== null);
  for (const phase of ['before matching', 'after matching']) {
    plots.push(
      figure(
        `overlap-${phase.split(' ')[0]}`,
        `Propensity-score overlap, ${phase}`,
        await svg({
          data: { values: ov.filter((d) => d.phase === phase) },
          mark: { type: 'bar', opacity: 0.6, binSpacing: 0 },
          encoding: {
            x: { field: 'score', type: 'quantitative', bin: { step: 0.05, extent: [0, 1] }, title: 'propensity score (probability of treatment)' },
            y: { field: 'n', type: 'quantitative', aggregate: 'sum', stack: null, title: 'units (count)' },
            color: { field: 'group', type: 'nominal', title: 'group', scale: { domain: ['treated', 'control'], range: ['#d95f02', '#1b9e77'] } },
          },
        }),
        `bins with fewer than ${r.minCellCount} units are suppressed`,
      ),
    );
  }
  const love = r.balance.rows
    .flatMap((b) => [
      { covariate: b.covariate, when: 'before', smd: b.smdBefore },
      { covariate: b.covariate, when: 'after', smd: b.smdAfter },
    ])
    .filter((d) => Number.isFinite(d.smd));
  plots.push(
    figure(
      'love',
      'Love plot',
      await svg({
        height: Math.max(160, 18 * r.balance.rows.length),
        layer: [
          {
            data: { values: love },
            mark: { type: 'point', filled: true, size: 60 },
            encoding: {
              y: { field: 'covariate', type: 'nominal', sort: null, title: null },
              x: { field: 'smd', type: 'quantitative', title: 'standardised mean difference (treated − control)' },
              color: { field: 'when', type: 'nominal', title: 'matching', scale: { domain: ['before', 'after'], range: ['#999999', '#2c7bb6'] } },
            },
          },
          {
            data: { values: [{ x: -r.balance.threshold }, { x: r.balance.threshold }] },
            mark: { type: 'rule', strokeDash: [4, 4], color: '#c00' },
            encoding: { x: { field: 'x', type: 'quantitative' } },
          },
        ],
      }),
      `standardised mean differences before and after matching; dashed lines at ±${r.balance.threshold}`,
    ),
  );
  for (const o of r.outcomes) {
    if (o.curve) {
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
          `Effect over time: ${o.label}`,
          await svg({
            data: { values: pts },
            layer: [
              {
                mark: { type: 'area', opacity: 0.25, color: '#2c7bb6' },
                encoding: {
                  x: { field: 'horizon', type: 'quantitative', title: 'months after the reference date' },
                  y: { field: 'lo', type: 'quantitative', title: 'ATT (percentage points)' },
                  y2: { field: 'hi' },
                },
              },
              {
                mark: { type: 'line', point: true, color: '#2c7bb6' },
                encoding: { x: { field: 'horizon', type: 'quantitative' }, y: { field: 'estimate', type: 'quantitative' } },
              },
              { data: { values: [{ y: 0 }] }, mark: { type: 'rule', color: '#666' }, encoding: { y: { field: 'y', type: 'quantitative' } } },
            ],
          }),
          `ATT at each horizon with its ${Math.round(level * 100)}% confidence band`,
        ),
      );
      const lv = pts.flatMap((p) => [
        { horizon: p.horizon, group: 'treated', rate: p.treated },
        { horizon: p.horizon, group: 'matched controls', rate: p.control },
      ]);
      plots.push(
        figure(
          'levels',
          `Outcome levels over time: ${o.label}`,
          await svg({
            data: { values: lv },
            mark: { type: 'line', point: true },
            encoding: {
              x: { field: 'horizon', type: 'quantitative', title: 'months after the reference date' },
              y: { field: 'rate', type: 'quantitative', title: 'employed (%)' },
              color: { field: 'group', type: 'nominal', title: null, scale: { range: ['#d95f02', '#1b9e77'] } },
            },
          }),
          'treated and matched-control employment rates',
        ),
      );
    }
    if (o.survival) {
      const s = o.survival;
      const km = [...s.treated.map((p) => ({ ...p, group: 'treated' })), ...s.control.map((p) => ({ ...p, group: 'matched controls' }))];
      plots.push(
        figure(
          'km',
          `Kaplan–Meier: ${o.label}`,
          await svg({
            data: { values: km },
            layer: [
              {
                mark: { type: 'area', opacity: 0.2, interpolate: 'step-after' },
                encoding: {
                  x: { field: 'time', type: 'quantitative', title: 'months since birth' },
                  y: { field: 'lower', type: 'quantitative', title: 'surviving (share)', scale: { domain: [0, 1] } },
                  y2: { field: 'upper' },
                  color: { field: 'group', type: 'nominal', title: null, scale: { range: ['#d95f02', '#1b9e77'] } },
                },
              },
              {
                mark: { type: 'line', interpolate: 'step-after' },
                encoding: {
                  x: { field: 'time', type: 'quantitative' },
                  y: { field: 'survival', type: 'quantitative' },
                  color: { field: 'group', type: 'nominal' },
                },
              },
            ],
          }),
          `survival with ${Math.round(level * 100)}% confidence bands (log-rank p ${s.logRank.pValue < 0.001 ? '< 0.001' : '= ' + s.logRank.pValue.toFixed(3)})`,
        ),
      );
    }
  }
  for (const sg of r.subgroups) {
    const rows = sg.rows.filter((x) => !x.suppressed && x.estimate !== null) as { subgroup: string; estimate: number; ciLower: number; ciUpper: number }[];
    if (!rows.length) continue;
    const overall = r.outcomes[0]!.effect.estimate;
    plots.push(
      figure(
        `forest-${sg.by}`,
        `Subgroups by ${sg.label}`,
        await svg({
          height: Math.max(80, 26 * rows.length),
          layer: [
            {
              data: { values: rows.map((x) => ({ ...x, subgroup: String(x.subgroup) })) },
              mark: { type: 'rule' },
              encoding: {
                y: { field: 'subgroup', type: 'nominal', title: null },
                x: { field: 'ciLower', type: 'quantitative', title: `ATT (${sg.outcome})` },
                x2: { field: 'ciUpper' },
              },
            },
            {
              data: { values: rows.map((x) => ({ ...x, subgroup: String(x.subgroup) })) },
              mark: { type: 'point', filled: true, size: 70, color: '#2c7bb6' },
              encoding: { y: { field: 'subgroup', type: 'nominal' }, x: { field: 'estimate', type: 'quantitative' } },
            },
            {
              data: { values: [{ x: overall }] },
              mark: { type: 'rule', strokeDash: [4, 4], color: '#c00' },
              encoding: { x: { field: 'x', type: 'quantitative' } },
            },
          ],
        }),
        `estimates with ${Math.round(level * 100)}% CIs; dashed line: overall ATT; suppressed cells omitted`,
      ),
    );
  }
  parts.push(`<section id="plots"><h2>Plots</h2>${plots.join('\n')}</section>`);

  // Tables.
  parts.push(
    `<section id="effects"><h2>Effects</h2>${table(
      ['outcome', 'estimate', 'SE', 'CI low', 'CI high', 'p', 'treated mean', 'control mean', 'naive', 'treated', 'controls', 'method'],
      r.outcomes.flatMap((o) => [
        [
          o.label,
          fmt(o.effect.estimate, 4),
          fmt(o.effect.se, 4),
          fmt(o.effect.ciLower, 4),
          fmt(o.effect.ciUpper, 4),
          o.effect.pValue === null ? '—' : o.effect.pValue.toPrecision(3),
          fmt(o.effect.meanTreated, 4),
          fmt(o.effect.meanControl, 4),
          fmt(o.effect.naive, 4),
          String(o.effect.nTreated),
          String(o.effect.nControls),
          o.effect.method,
        ],
        ...(o.curve ?? []).map((p) => [
          `  at ${p.horizon} months`,
          fmt(p.estimate, 4),
          fmt(p.se, 4),
          fmt(p.ciLower, 4),
          fmt(p.ciUpper, 4),
          p.pValue === null ? '—' : p.pValue.toPrecision(3),
          fmt(p.meanTreated, 4),
          fmt(p.meanControl, 4),
          '—',
          String(p.nTreated),
          String(p.nControls),
          '',
        ]),
        ...(o.survival?.points ?? []).map((p) => [
          `  survival difference at ${p.time}`,
          fmt(p.difference, 4),
          fmt(p.se, 4),
          fmt(p.ciLower, 4),
          fmt(p.ciUpper, 4),
          '—',
          fmt(p.survivalTreated, 4),
          fmt(p.survivalControl, 4),
          '—',
          '',
          '',
          '',
        ]),
      ]),
    )}</section>`,
  );
  if (r.arms.length) {
    parts.push(
      `<section id="arms"><h2>Effects by treatment arm</h2><p>${escapeHtml(`Each arm against the common pool of untreated units (one propensity model and match per arm); outcome: ${r.outcomes[0]!.label}.`)}</p>${table(
        ['arm', 'treated', 'controls', 'ATT', 'SE', 'CI low', 'CI high', 'balanced'],
        r.arms.map((a) =>
          a.suppressed
            ? [a.arm, `suppressed (< ${r.minCellCount})`, 'suppressed', '—', '—', '—', '—', '—']
            : [
                a.arm,
                String(a.nTreated),
                String(a.nControls),
                fmt(a.estimate, 4),
                fmt(a.se, 4),
                fmt(a.ciLower, 4),
                fmt(a.ciUpper, 4),
                a.balanced ? 'yes' : 'no',
              ],
        ),
      )}</section>`,
    );
  }
  if (r.subgroups.length) {
    parts.push(
      `<section id="subgroups"><h2>Subgroups</h2>${r.subgroups
        .map(
          (sg) =>
            `<h3>By ${escapeHtml(sg.label)}</h3>${table(
              ['subgroup', 'treated', 'controls', 'ATT', 'CI low', 'CI high', 'difference from overall', 'p (difference)'],
              sg.rows.map((x) => {
                const g = x as Record<string, number | string | null | boolean>;
                return g.suppressed
                  ? [String(g.subgroup), `suppressed (< ${r.minCellCount})`, 'suppressed', '—', '—', '—', '—', '—']
                  : [
                      String(g.subgroup),
                      String(g.nTreated),
                      String(g.nControls),
                      fmt(g.estimate as number, 4),
                      fmt(g.ciLower as number, 4),
                      fmt(g.ciUpper as number, 4),
                      fmt(g.difference as number, 4),
                      g.differencePValue === null ? '—' : (g.differencePValue as number).toPrecision(3),
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
    parts.push(
      `<section id="costs"><h2>Cost-effectiveness</h2>${table(
        ['quantity', 'value'],
        [
          ['total programme cost (€)', fmt(k.totalCost, 0)],
          ['cost per treated unit (€)', fmt(k.costPerTreated, 0)],
          [`extra ${k.unit}s (ATT × treated)`, `${fmt(k.extra, 1)} (${fmt(k.extraLower, 1)} to ${fmt(k.extraUpper, 1)})`],
          [
            `cost per extra ${k.unit} (€)`,
            k.costPerExtra === null
              ? 'undefined'
              : `${fmt(k.costPerExtra, 0)} (${fmt(k.lower, 0)} to ${k.upper === null ? 'no upper bound' : fmt(k.upper, 0)})`,
          ],
        ],
      )}<p>${escapeHtml(k.note)}</p></section>`,
    );
  }
  if (r.sensitivity.rosenbaum || r.sensitivity.evalue || r.sensitivity.confounder || r.sensitivity.notes.length) {
    const s = r.sensitivity;
    parts.push(
      `<section id="sensitivity"><h2>Sensitivity to unobserved confounding</h2>${s.rosenbaum ? `<p>${escapeHtml(`Rosenbaum bounds (binary outcome, ${s.rosenbaum.discordantTreated} + ${s.rosenbaum.discordantControl} discordant pairs): significance at 5% is lost at Γ = ${s.rosenbaum.gammaCritical ?? '> grid'}.`)}</p>` : ''}${s.confounder ? `<p>${escapeHtml(`Simulated confounder (Ichino–Mealli–Nannicini, ${s.confounder.reps} draws, seed ${s.confounder.seed}): ATT ${s.confounder.att.toFixed(4)} (SE ${s.confounder.se.toFixed(4)}) against ${s.confounder.baseline.toFixed(4)} without it; outcome odds ratio Γ = ${s.confounder.outcomeOddsRatio.toFixed(2)}, selection odds ratio Λ = ${s.confounder.selectionOddsRatio.toFixed(2)}.`)}</p>` : ''}${s.evalue ? `<p>${escapeHtml(`E-value: ${s.evalue.eValue.toFixed(2)} (for the CI limit: ${s.evalue.eValueCi === null ? '—' : s.evalue.eValueCi.toFixed(2)}); risk ratio ${s.evalue.riskRatio.toFixed(3)}.`)}</p>` : ''}${s.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('')}</section>`,
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
      r.balance.rows.map((b) => [
        b.covariate,
        b.type,
        fmt(b.meanTreatedBefore),
        fmt(b.meanControlBefore),
        fmt(b.smdBefore),
        fmt(b.meanTreatedAfter),
        fmt(b.meanControlAfter),
        fmt(b.smdAfter),
        b.varianceRatioAfter === null ? '—' : fmt(b.varianceRatioAfter, 2),
        fmt(b.ecdfMaxAfter),
        b.flagged ? 'imbalanced' : '',
      ]),
    )}<p class="note">SMD as MatchIt: difference over the SD of the treated before matching; binary covariates standardised too.</p></section>`,
  );
  parts.push(
    `<section id="propensity"><h2>Propensity model</h2><p>${escapeHtml(`${r.propensity.link} link; ${r.propensity.converged ? 'converged' : 'did NOT converge'} in ${r.propensity.iterations} iterations${r.propensity.dropped.length ? `; dropped as collinear: ${r.propensity.dropped.join(', ')}` : ''}.`)}</p>${table(
      ['term', 'estimate', 'SE'],
      r.propensity.coefficients.map((k) => [k.name, fmt(k.estimate, 4), fmt(k.se, 4)]),
    )}</section>`,
  );
  parts.push(
    `<section id="reproducibility"><h2>Settings and reproducibility</h2>${table(
      ['item', 'value'],
      [
        ['library', `${r.library.name} ${r.library.version}`],
        ['seed', String(r.seed)],
        ['minimum cell count', String(r.minCellCount)],
        ...r.inputs.map((i) => [`input: ${i.role}`, `${i.file} — ${i.rows} rows — sha256 ${i.sha256}`]),
        ['settings', JSON.stringify(r.settings)],
      ],
    )}</section>`,
  );

  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(r.title)}</title>
<style>
body{font-family:${FONT};max-width:980px;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}
h1{font-size:1.6rem;margin-bottom:.2rem}h2{border-bottom:1px solid #ddd;padding-bottom:.2rem;margin-top:2rem}
.headline{font-size:1.1rem}.ok{color:#155724}.warn{color:#8a4b00}.warnings{background:#fff7e6;border:1px solid #f0c36d;padding:.4rem 1rem}
table{border-collapse:collapse;margin:.6rem 0;font-size:.85rem;width:100%}th,td{border-bottom:1px solid #e5e5e5;padding:.25rem .4rem;text-align:left;vertical-align:top}
td.num{text-align:right;font-variant-numeric:tabular-nums}figure{margin:1rem 0}figcaption{font-size:.85rem;margin-bottom:.3rem}
svg{max-width:100%;height:auto}.note{font-size:.8rem;color:#555}.synthetic{color:#555;font-size:.85rem}
@media print{body{max-width:none;margin:0}h2{break-after:avoid}figure,table{break-inside:avoid}}
</style></head>
<body><header><h1>${escapeHtml(r.title)}</h1><p class="synthetic">${escapeHtml(`Counterfactual impact evaluation — ${r.library.name} ${r.library.version}, seed ${r.seed}. Aggregates only; cells under ${r.minCellCount} units suppressed.`)}</p></header>
${parts.join('\n')}
</body></html>
`;
}
