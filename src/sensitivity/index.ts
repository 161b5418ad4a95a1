export * from './rosenbaum.js';
export * from './confounder.js';
