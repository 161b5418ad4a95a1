/**
 * One number formatter for the report (and anything else that prints aggregates), and the
 * handling of user text (labels, column names, titles).
 *
 * Numbers:
 * - estimates: fixed decimals, the same for an estimate, its SE and its CI (chosen once per
 *   quantity from its largest magnitude), thousands separators, a true minus sign;
 * - proportions: differences in percentage points ("pp"), levels and rates in percent ("%"),
 *   one decimal;
 * - counts: whole numbers with thousands separators; a suppressed count is "<N" (small cell)
 *   or "suppressed" (hidden to protect a small cell);
 * - p-values: "< 0.001", else three significant digits; never exponent notation anywhere.
 *
 * Text: every user string goes through {@link cleanText} (control characters replaced, bidi
 * embedding/override/isolate controls made visible as ⟨U+202E⟩) and, in HTML, {@link userHtml}
 * (escaped and wrapped in <bdi>, so that right-to-left text cannot reorder what is around it).
 */

const MINUS = '\u2212';

/** Fixed decimals with thousands separators; '—' for null/non-finite. */
export function fixed(x: number | null | undefined, decimals: number): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  const d = Math.max(0, Math.min(12, Math.floor(decimals)));
  // Round first so that −0.0004 at 3 decimals prints as 0.000, not −0.000.
  const r = Number((Math.round(Math.abs(x) * 10 ** d) / 10 ** d).toFixed(d));
  const s = r.toLocaleString('en', { minimumFractionDigits: d, maximumFractionDigits: d, useGrouping: true });
  return x < 0 && r !== 0 ? MINUS + s : s;
}

/** Decimals for a quantity, from the largest magnitude among its values (estimate, CI, SE). */
export function decimalsFor(values: readonly (number | null | undefined)[]): number {
  let m = 0;
  for (const v of values) if (v !== null && v !== undefined && Number.isFinite(v)) m = Math.max(m, Math.abs(v));
  if (m >= 100) return 0;
  if (m >= 10) return 1;
  if (m >= 1) return 2;
  if (m >= 0.01 || m === 0) return 3;
  // Small magnitudes: enough decimals for three significant digits.
  return Math.min(12, 2 - Math.floor(Math.log10(m)));
}

/** Significant digits without exponent notation (coefficients and other unbounded figures). */
export function significant(x: number | null | undefined, digits = 3): string {
  if (x === null || x === undefined || !Number.isFinite(x)) return '—';
  if (x === 0) return '0';
  const mag = Math.floor(Math.log10(Math.abs(x)));
  return fixed(x, Math.max(0, digits - 1 - mag));
}

/** A difference of proportions in percentage points (number only). */
export function pp(x: number | null | undefined, decimals = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : fixed(x * 100, decimals);
}

/** A proportion as a percentage, with the sign: "45.6%". */
export function percent(x: number | null | undefined, decimals = 1): string {
  return x === null || x === undefined || !Number.isFinite(x) ? '—' : `${fixed(x * 100, decimals)}%`;
}

/** A p-value: "< 0.001" or three significant digits ("0.0123", "0.500"). */
export function pValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '—';
  if (p < 0.001) return '< 0.001';
  if (p >= 1) return '1.00';
  return significant(p, 3);
}

/** A count with thousands separators; hidden counts as "<min" (small) or "suppressed" (complementary). */
export function count(n: number | null | undefined, hidden: 'small' | 'complementary' | null = null, minCellCount = 10): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return hidden === 'complementary' ? 'suppressed' : hidden === 'small' ? `<${minCellCount}` : '—';
  return Number.isInteger(n) ? n.toLocaleString('en') : fixed(n, 1);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: the point is to find control characters
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]/g;
const BIDI = /[\u202a-\u202e\u2066-\u2069]/g;

/** User text made safe to show: control characters → U+FFFD, bidi controls shown as ⟨U+202E⟩. */
export function cleanText(s: unknown): string {
  return String(s)
    .replace(CONTROL, '\ufffd')
    .replace(BIDI, (c) => `⟨U+${c.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}⟩`);
}

/** Escape text for HTML element content and attribute values. */
export function escapeHtml(s: unknown): string {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** A user string in HTML: cleaned, escaped, bidi-isolated. */
export function userHtml(s: unknown): string {
  return `<bdi>${escapeHtml(cleanText(s))}</bdi>`;
}

/**
 * A label for a plot axis: cleaned, isolated with FSI…PDI (U+2068/U+2069, what <bdi> does in
 * HTML), cut to `maxChars`, and wrapped into lines of at most `width` characters (at spaces,
 * or inside a word when a word is longer than a line), joined with "\n".
 */
export function plotLabel(s: unknown, width = 28, maxLines = 4): string {
  const words = cleanText(s).split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let cur = '';
  for (let w of words) {
    while (w.length > width) {
      if (cur) lines.push(cur), (cur = '');
      lines.push(w.slice(0, width));
      w = w.slice(width);
    }
    if (!cur) cur = w;
    else if (cur.length + 1 + w.length <= width) cur += ` ${w}`;
    else lines.push(cur), (cur = w);
  }
  if (cur) lines.push(cur);
  if (!lines.length) lines.push('');
  if (lines.length > maxLines) {
    lines.length = maxLines;
    lines[maxLines - 1] = `${lines[maxLines - 1]!.slice(0, width - 1)}…`;
  }
  return lines.map((l) => `\u2068${l}\u2069`).join('\n');
}
