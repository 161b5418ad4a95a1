export * from './att.js';
export * from './psmatch.js';
export { aiPsAdjustment, type Adjustment, type AdjustmentInput, type Information } from './psAdjustment.js';
