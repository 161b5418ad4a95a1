/**
 * counterfact: counterfactual impact evaluation of public programmes.
 * The public stages, re-exported; nothing else lives here. No Node-specific imports below this
 * file: the library runs in a browser bundle too (I/O and the CLI are in src/io and src/cli).
 */
export * from './problems.js';
export * from './random.js';
export * from './contracts.js';
export * from './data/index.js';
export * from './propensity/index.js';
export * from './matching/index.js';
export * from './balance/index.js';
export * from './effects/index.js';
export * from './outcomes/index.js';
export * from './costs/index.js';
export * from './heterogeneity/index.js';
export * from './evaluate.js';
export * from './sensitivity/index.js';
export * from './study/index.js';
export * from './report/index.js';
export * from './synth/index.js';
export * from './reproduce/index.js';
export * from './scale/index.js';
export * from './validity/index.js';
export * from './weighting/index.js';
export * from './matching/matchedData.js';
export { VERSION } from './version.js';
