export * from '../data/dates.js';
export * from './spells.js';
export * from './curve.js';
export * from './survival.js';
