// The labelers' common canvas: one byte (or depth) per UTF-16 code unit, the unit both
// tree-sitter and JavaScript strings index by. toCharLabels turns it into the per-code-point
// CharLabels the model is scored against, adding column and indentation level.
import type { CharLabels } from './labels';

/** Values of the quote / comment / if masks. */
export const OUTSIDE = 0;
/** The delimiting part: quote characters and string prefixes, comment markers, `if (`…`)`. */
export const DELIMITER = 1;
/** Inside, away from the delimiters. */
export const INNER = 2;

/** Labels per UTF-16 code unit (n = text.length). */
export interface Utf16Paint {
  quote: Uint8Array;   // (n) OUTSIDE | DELIMITER | INNER
  comment: Uint8Array; // (n)
  cond: Uint8Array;    // (n) the condition of an if-statement
  depth: Int32Array;   // (n) block nesting depth
}

export function newPaint(n: number): Utf16Paint {
  return { quote: new Uint8Array(n), comment: new Uint8Array(n), cond: new Uint8Array(n), depth: new Int32Array(n) };
}

/** Paints [start, end) with `value` where the mask holds less (nested regions keep the stronger mark). */
export function paintMax(mask: Uint8Array, start: number, end: number, value: number): void {
  const e = Math.min(end, mask.length);
  for (let i = Math.max(0, start); i < e; i++) if (mask[i] < value) mask[i] = value;
}

/** [end without a trailing line break, inner start, inner end] of the comment [start, end):
 *  the markers are `//` (or `///`, `//!`), `/*` (or `/**`, `/*!`) and its closer, `#`, `--`,
 *  `<!--` `-->`, `<#` `#>`, Ruby's `=begin` `=end`. */
export function commentParts(text: string, start: number, end: number): [number, number, number] {
  let e = end;
  while (e > start && (text[e - 1] === '\n' || text[e - 1] === '\r')) e--;
  let open = 0, close = 0;
  if (text.startsWith('//', start)) open = text[start + 2] === '/' || text[start + 2] === '!' ? 3 : 2;
  else if (text.startsWith('/*', start)) {
    close = text.startsWith('*/', e - 2) && e - start >= 4 ? 2 : 0;
    open = (text[start + 2] === '*' || text[start + 2] === '!') && start + 3 <= e - close ? 3 : 2;
  } else if (text.startsWith('<!--', start)) { open = 4; close = text.startsWith('-->', e - 3) ? 3 : 0; }
  else if (text.startsWith('=begin', start)) { open = 6; close = text.startsWith('=end', e - 4) ? 4 : 0; }
  else if (text.startsWith('<#', start)) { open = 2; close = text.startsWith('#>', e - 2) ? 2 : 0; }
  else if (text[start] === '#') open = 1;
  else if (text.startsWith('--', start)) open = 2;
  const a = Math.min(e, start + open);
  return [e, a, Math.max(a, e - close)];
}

/** The indent width of a text in spaces: the most frequent positive step (1..8) between the
 *  leading spaces of consecutive non-blank lines; 4 when no line steps in by spaces. */
export function detectIndentWidth(text: string): number {
  const votes = new Int32Array(9);
  let prev = -1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    let spaces = 0;
    while (i < n && text.charCodeAt(i) === 32) { spaces++; i++; }
    const c = i < n ? text.charCodeAt(i) : 10;
    const blank = c === 10 || c === 13;
    // Tab-led lines don't vote; nor do ` * ` continuation lines of block comments, which step in by one.
    if (!blank && c !== 9 && c !== 42) {
      const step = spaces - prev;
      if (prev >= 0 && step > 0 && step <= 8) votes[step]++;
      prev = spaces;
    }
    while (i < n && text.charCodeAt(i) !== 10) i++;
    i++;
  }
  let best = 4;
  for (let w = 1; w <= 8; w++) if (votes[w] > votes[best] || (votes[w] === votes[best] && w < best && votes[w] > 0)) best = w;
  return best;
}

function isHighSurrogate(c: number): boolean { return c >= 0xd800 && c <= 0xdbff; }
function isLowSurrogate(c: number): boolean { return c >= 0xdc00 && c <= 0xdfff; }

/** Number of code points in a string (a lone surrogate counts as one, as String iteration does). */
export function codePointCount(text: string): number {
  let pairs = 0;
  for (let i = 0; i + 1 < text.length; i++) {
    if (isHighSurrogate(text.charCodeAt(i)) && isLowSurrogate(text.charCodeAt(i + 1))) { pairs++; i++; }
  }
  return text.length - pairs;
}

/** Per-code-point labels from the per-unit paint: an astral character takes the labels of its
 *  first unit. Lines end after '\n', or after a '\r' not followed by '\n'; the line break belongs
 *  to the line it ends, so `\r` and `\n` of a CRLF get columns L and L+1. */
export function toCharLabels(text: string, paint: Utf16Paint, source: CharLabels['source']): CharLabels {
  const n16 = text.length;
  const length = codePointCount(text);
  const labels: CharLabels = {
    length,
    quote: new Uint8Array(length), quoteInner: new Uint8Array(length),
    comment: new Uint8Array(length), commentInner: new Uint8Array(length),
    if: new Uint8Array(length), ifInner: new Uint8Array(length),
    indentDepth: new Uint16Array(length), indentLevel: new Uint16Array(length),
    column: new Uint32Array(length), source,
  };
  const width = detectIndentWidth(text);
  // Locals, not property loads, in the per-character loop.
  const { quote, comment, cond, depth } = paint;
  const q1 = labels.quote, q2 = labels.quoteInner, k1 = labels.comment, k2 = labels.commentInner;
  const f1 = labels.if, f2 = labels.ifInner, dep = labels.indentDepth, lev = labels.indentLevel, col = labels.column;
  let cp = 0;
  let column = 0;
  let level = lineIndentLevel(text, 0, width);
  for (let i = 0; i < n16; i++) {
    const c = text.charCodeAt(i);
    const q = quote[i], k = comment[i], f = cond[i], d = depth[i];
    q1[cp] = q !== OUTSIDE ? 1 : 0;
    q2[cp] = q === INNER ? 1 : 0;
    k1[cp] = k !== OUTSIDE ? 1 : 0;
    k2[cp] = k === INNER ? 1 : 0;
    f1[cp] = f !== OUTSIDE ? 1 : 0;
    f2[cp] = f === INNER ? 1 : 0;
    dep[cp] = d < 0 ? 0 : d > 0xffff ? 0xffff : d;
    lev[cp] = level;
    col[cp] = column;
    cp++;
    column++;
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n16 && isLowSurrogate(text.charCodeAt(i + 1))) i++;
    else if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      column = 0;
      level = lineIndentLevel(text, i + 1, width);
    }
  }
  return labels;
}

/** Leading-whitespace level of the line starting at `start`: one per tab, one per `width` spaces. */
function lineIndentLevel(text: string, start: number, width: number): number {
  let tabs = 0, spaces = 0;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 9) tabs++;
    else if (c === 32) spaces++;
    else break;
  }
  return Math.min(0xffff, tabs + Math.floor(spaces / width));
}
