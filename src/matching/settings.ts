/**
 * What each matching method records in `MatchResult.settings`: one typed interface per method,
 * every option in force with its default filled in. Code that needs a setting narrows on
 * `settings.method` (or on `'field' in settings`) instead of reading an untyped record.
 */
import type { Discard, DistanceScale, MatchOrder } from '../contracts.js';

/** Fields any method's settings may carry. */
interface Common {
  /** Set when the match was restricted to a subgroup after matching (`restrictMatch`). */
  readonly restrictedTo?: string;
}

export interface NearestSettings extends Common {
  readonly method: 'nearest';
  /** 'ATC': the controls are the focal group, each matched to treated units (MatchIt estimand = "ATC"). */
  readonly estimand: 'ATT' | 'ATC';
  readonly ratio: number;
  readonly replace: boolean;
  readonly reuseMax: number | null;
  readonly minControls: number | null;
  readonly maxControls: number | null;
  readonly caliper: number | null;
  readonly caliperScale: 'sd' | 'raw';
  readonly caliperWidth: number | null;
  readonly covariateCalipers: Readonly<Record<string, number>>;
  readonly distance: DistanceScale;
  readonly order: MatchOrder;
  readonly seed: number | null;
  readonly ties: boolean;
  readonly tieTolerance: number | null;
  readonly exact: readonly string[];
  readonly discard: Discard;
}

export interface MahalanobisSettings extends Common {
  readonly method: 'mahalanobis';
  readonly covariates: readonly string[];
  readonly covariance: string;
  readonly ratio: number;
  readonly replace: boolean;
  readonly caliper: number | null;
  readonly order: 'data' | 'largest' | 'smallest';
  /** R Matching `ties = TRUE`: every control tied at the nearest distance kept, weight split. */
  readonly ties: boolean;
  /** Tolerance on the squared Mahalanobis distance for ties (null without ties). */
  readonly tieTolerance: number | null;
}

export interface RadiusSettings extends Common {
  readonly method: 'radius';
  readonly caliper: number;
  readonly distance: DistanceScale;
}

export interface KernelSettings extends Common {
  readonly method: 'kernel';
  readonly kernel: string;
  readonly bandwidth: number;
  readonly distance: DistanceScale;
}

export interface GeographicSettings extends Common {
  readonly method: 'geographic';
  readonly ratio: number;
  readonly replace: boolean;
  readonly caliperKm: number | null;
  readonly exact: readonly string[];
  readonly order: 'data';
  readonly earthRadiusKm: number;
}

export interface IpwSettings extends Common {
  readonly method: 'ipw';
  readonly weights: string;
  readonly trim: number | null;
}

export interface CemSettings extends Common {
  readonly method: 'cem';
  readonly estimand: 'ATT';
  readonly covariates: readonly string[];
  readonly cutpoints: Readonly<Record<string, unknown>>;
  readonly grouping: Readonly<Record<string, unknown>>;
  readonly categorical: readonly string[];
  readonly k2k: boolean;
}

export interface SubclassSettings extends Common {
  readonly method: 'subclass';
  readonly estimand: 'ATT';
  readonly subclass: number | readonly number[];
  readonly minN: number;
  readonly distance: DistanceScale;
  readonly discard: Discard;
}

/**
 * Settings of a method written outside this library (or a hand-built match): a `method` name
 * plus whatever it records.
 */
export interface CustomSettings extends Common {
  readonly method: string;
  readonly [option: string]: unknown;
}

/** The settings of any match, told apart by `method`. */
export type MatchSettings =
  | NearestSettings
  | MahalanobisSettings
  | RadiusSettings
  | KernelSettings
  | GeographicSettings
  | IpwSettings
  | CemSettings
  | SubclassSettings
  | CustomSettings;
