export * from './rosenbaum.js';
