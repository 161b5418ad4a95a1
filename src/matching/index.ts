export * from './nearest.js';
export * from './result.js';
