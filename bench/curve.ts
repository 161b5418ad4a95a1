/**
 * Effect curve benchmark (issue "Outcomes over time"): 100,000 treated and 1,000,000 controls
 * with 5 contract spells each, ATT with AI SE at 24 monthly horizons on one match.
 *   tsx bench/curve.ts [--treated 100000] [--controls 1000000] [--spells 5]
 * Prints seconds per stage and the peak RSS; not part of the default tests.
 */
import { parseArgs } from 'node:util';
import { generateRegister } from '../src/synth/index.js';
import { fitPropensity } from '../src/propensity/index.js';
import { matchNearest } from '../src/matching/index.js';
import { estimateATTCurve, prepareSpells } from '../src/outcomes/index.js';
import { columnLabels, getColumn } from '../src/data/table.js';
import { createRng } from '../src/random.js';

const { values } = parseArgs({
  options: { treated: { type: 'string', default: '100000' }, controls: { type: 'string', default: '1000000' }, spells: { type: 'string', default: '5' } },
});
const nT = Number(values.treated);
const nC = Number(values.controls);
const K = Number(values.spells);
const t = () => performance.now() / 1000;
let t0 = t();
const reg = generateRegister({ rows: nT + nC, treatedShare: nT / (nT + nC), covariates: 10, spellsPerPerson: K, seed: 11 });
const gen = t() - t0;
const treat = (reg.table.columns.treat as { values: Float64Array }).values;
const rng = createRng(5);
const ref = new Float64Array(treat.length).fill(NaN);
for (let i = 0; i < ref.length; i++) if (treat[i]) ref[i] = 16953 + rng.int(60); // June–July 2016
t0 = t();
const fit = fitPropensity(reg.table, { treatment: 'treat', covariates: reg.truth.covariates });
const match = matchNearest(fit, { replace: true });
const design = t() - t0;
t0 = t();
const spells = prepareSpells(reg.spells!, { id: 'id', start: 'start', end: 'end', type: 'type', sector: 'sector' }, columnLabels(getColumn(reg.table, 'id')));
const prep = t() - t0;
t0 = t();
const horizons = Array.from({ length: 24 }, (_, k) => k + 1);
const curve = estimateATTCurve(reg.table, match, { spells, referenceDays: ref, horizons, se: 'ai' });
const curveS = t() - t0;
const rss = process.resourceUsage().maxRSS / 1024;
console.log(
  JSON.stringify(
    {
      treated: match.counts.treated,
      controls: match.counts.controls,
      spells: reg.spells!.nRows,
      seconds: { generate: +gen.toFixed(2), fitAndMatch: +design.toFixed(2), prepareSpells: +prep.toFixed(2), curve24: +curveS.toFixed(2) },
      peakRssMb: Math.round(rss),
      att24: curve.points[23]!.estimate,
    },
    null,
    2,
  ),
);
