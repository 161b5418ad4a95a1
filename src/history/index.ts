/**
 * Work history as a preparation step: covariates from contract spells at a reference date per
 * person, in memory (`workHistory`) or in DuckDB over Parquet spells (`workHistoryDuckDB`,
 * Node only, optional dependency `@duckdb/node-api`). Definitions: docs/work-history.md.
 */
export { historyCovariates, NONE_LEVEL, workHistory, workHistoryColumnNames, type WorkHistoryOptions } from './workHistory.js';
