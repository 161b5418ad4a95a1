export * from './shards.js';
