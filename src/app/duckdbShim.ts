/**
 * The browser build's stand-in for src/history/duckdb.ts (aliased in tsup.config.ts): the DuckDB
 * work-history engine is a Node add-on, so in the page every entry point says so. The study
 * file's built-in work-history engine runs in the page as it does in Node.
 */
import { CounterfactError } from '../problems.js';

function unavailable(): never {
  throw new CounterfactError({
    code: 'bad_argument',
    message: 'the DuckDB work-history engine is not available in the browser app: use the built-in engine, or run this study with `counterfact run`',
  });
}

export const DUCKDB_MISSING = 'the DuckDB engine is not available in the browser app';
export const loadDuckDB = async (): Promise<never> => unavailable();
export const duckdbAvailable = async (): Promise<boolean> => false;
export const workHistoryDuckDB = async (..._args: unknown[]): Promise<never> => unavailable();
export const statusAtDuckDB = async (..._args: unknown[]): Promise<never> => unavailable();
