export * from './nearest.js';
export * from './result.js';
export * from './geographic.js';
export * from './kernel.js';
export * from './mahalanobis.js';
