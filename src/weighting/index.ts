export * from './ipw.js';
