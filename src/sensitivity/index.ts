export * from './rosenbaum.js';
export * from './confounder.js';
export * from './applicability.js';
