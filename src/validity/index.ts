export * from './montecarlo.js';
