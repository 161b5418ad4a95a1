export * from './restrict.js';
export * from './subgroups.js';
export * from './arms.js';
