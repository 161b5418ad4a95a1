export * from './att.js';
