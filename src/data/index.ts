export * from './table.js';
export * from './design.js';
export * from './csv.js';
