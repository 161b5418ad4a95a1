export * from './suppress.js';
export * from './study.js';
