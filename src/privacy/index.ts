export * from './suppress.js';
export * from './study.js';
export * from './estimate.js';
