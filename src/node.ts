/**
 * counterfact/node: the Node-only parts — reading and writing files, and the worker-thread
 * accumulator for the propensity fit and the two-thread balance eCDF. Everything else is in the
 * main entry.
 */
export * from './io/readTable.js';
export * from './io/write.js';
export * from './io/parallel.js';
export * from './io/parallelBalance.js';
export * from './io/writeMatched.js';
export { workHistoryDuckDB, statusAtDuckDB, duckdbAvailable, DUCKDB_MISSING, type DuckDBPeople, type DuckDBEngineOptions } from './history/duckdb.js';
