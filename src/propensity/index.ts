export * from './fit.js';
