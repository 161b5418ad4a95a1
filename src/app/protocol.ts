/** Messages between the page (main.ts) and its Web Worker (worker.ts). */
import type { StudyResults } from '../study/run.js';

/** Read options of the study file's `data` section that apply when a file is read. */
export interface ReadSettings {
  readonly delimiter?: string;
  readonly decimal?: string;
  readonly thousands?: string;
  readonly encoding?: string;
  /** Columns read as text exactly as written (the id with data.idType: text). */
  readonly text?: readonly string[];
}

/** One column as the page lists it. */
export interface ColumnInfo {
  readonly name: string;
  /** 'number', '0/1', 'text' or 'date' (text whose values all read as dates). */
  readonly type: 'number' | '0/1' | 'text' | 'date';
  readonly missing: number;
  /** Distinct non-missing values (counted up to 1,000 for numbers). */
  readonly distinct: number;
  /** The distinct values when there are at most two (a treatment with labels). */
  readonly values?: readonly string[];
}

export type ToWorker =
  | { readonly type: 'open'; readonly role: 'persons' | 'spells'; readonly name: string; readonly bytes: ArrayBuffer; readonly read: ReadSettings }
  | { readonly type: 'run'; readonly study: unknown };

export type FromWorker =
  | { readonly type: 'columns'; readonly role: 'persons' | 'spells'; readonly name: string; readonly rows: number; readonly columns: readonly ColumnInfo[] }
  | { readonly type: 'progress'; readonly stage: string; readonly fraction: number }
  | { readonly type: 'done'; readonly results: StudyResults; readonly resultsJson: string; readonly report: string; readonly seconds: number }
  | { readonly type: 'error'; readonly role?: 'persons' | 'spells' | 'run'; readonly messages: readonly string[] };
