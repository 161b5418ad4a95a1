export * from './schema.js';
export * from './run.js';
