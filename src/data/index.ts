export * from './table.js';
export * from './design.js';
