export * from '../data/dates.js';
export * from './spells.js';
export { historyCovariates } from '../history/workHistory.js';
export * from './curve.js';
export * from './survival.js';
