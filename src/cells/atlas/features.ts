// The features the atlas scores every cell against, per character of the texts discovery read:
//
//   binary (spans of characters)   every named tree-sitter node type a character sits inside
//                                  ("string", "arguments", "type_annotation", …), every field of
//                                  a node ("if_statement.condition", "for_statement.body", …),
//                                  "after <keyword>" (from a keyword to the end of its line), and
//                                  the labels of labels.ts (quote, comment, if-condition), which
//                                  languages without a grammar have too
//   numeric (one value a character) column, line length, characters to the line's end,
//                                  indentation level, block depth, bracket depth, tree depth
//
// Spans are half-open [start, end) in the rows of Activations (code points of the kept texts,
// end to end), merged so that nested nodes of one type make one span.
import type { Parser, TreeCursor } from '@vscode/tree-sitter-wasm';
import type { Activations, CellText } from '../activations';
import { grammarFor } from '../labels/languages';
import { parserFor } from '../labels/tree-sitter-loader';

export interface BinaryFeature {
  name: string;
  kind: 'binary';
  spans: Int32Array;
  /** Other names of exactly the same characters (`if-condition` = `if_statement.condition`). */
  aliases?: string[];
}
export interface NumericFeature { name: string; kind: 'numeric'; values: Float32Array }
export type Feature = BinaryFeature | NumericFeature;

/** Parsing one text longer than this gives up its tree features (its label features stay). */
const PARSE_BUDGET_MS = 30_000;

/** The features of the texts whose activations `a` holds (texts in the order collected). */
export async function extractFeatures(a: Activations, texts: readonly CellText[]): Promise<Feature[]> {
  const spans = new Map<string, number[]>();
  const add = (name: string, s: number, e: number) => {
    if (e <= s) return;
    let list = spans.get(name);
    if (!list) spans.set(name, (list = []));
    list.push(s, e);
  };
  const treeDepth = new Float32Array(a.n);
  for (let t = 0; t < a.textStarts.length; t++) {
    const base = a.textStarts[t];
    const end = t + 1 < a.textStarts.length ? a.textStarts[t + 1] : a.n;
    await treeFeatures(texts[t], base, end - base, add, treeDepth);
  }
  maskSpans(a.quote, 'quote', add); maskSpans(a.comment, 'comment', add); maskSpans(a.if, 'if-condition', add);

  const out: Feature[] = [];
  const bySpans = new Map<string, BinaryFeature>();
  for (const [name, list] of spans) {
    const merged = mergeSpans(list);
    const key = merged.join(',');
    const same = bySpans.get(key);
    if (same) (same.aliases ??= []).push(name);
    else { const f: BinaryFeature = { name, kind: 'binary', spans: merged }; bySpans.set(key, f); out.push(f); }
  }
  out.push(...textNumeric(a, texts), { name: 'tree_depth', kind: 'numeric', values: treeDepth });
  return out;
}

/** Tree-sitter features of one text, into rows [base, base + keep). */
async function treeFeatures(t: CellText, base: number, keep: number, add: (name: string, s: number, e: number) => void, depth: Float32Array): Promise<void> {
  const stem = grammarFor(t.languageId);
  if (!stem) return;
  let parser: Parser;
  try { parser = await parserFor(stem); } catch { return; }
  const deadline = performance.now() + PARSE_BUDGET_MS;
  const options = { progressCallback: () => performance.now() > deadline } as never;
  const tree = parser.parse(t.text, null, options);
  if (!tree) { parser.reset(); return; }
  try {
    const cp = codePointIndex(t.text);
    const row = (u16: number) => base + Math.min(keep, cp[u16]);
    const cursor = tree.walk();
    walk(cursor, t.text, row, add, (s, e) => { for (let i = s; i < e; i++) depth[i]++; });
    cursor.delete();
  } finally {
    tree.delete();
  }
}

/** Pre-order walk of every node (a cursor: no Node objects for the ones that are not needed). */
function walk(cursor: TreeCursor, text: string, row: (u16: number) => number,
  add: (name: string, s: number, e: number) => void, deepen: (s: number, e: number) => void): void {
  const parents: string[] = [];
  for (;;) {
    const s = row(cursor.startIndex), e = row(cursor.endIndex);
    const type = cursor.nodeType;
    if (cursor.nodeIsNamed) {
      if (parents.length > 0) {
        add(type, s, e);
        deepen(s, e);
        const field = cursor.currentFieldName;
        if (field) add(`${parents[parents.length - 1]}.${field}`, s, e);
      }
    } else if (/^[a-z_]{2,}$/.test(type)) {
      add(`after ${type}`, e, row(lineEnd(text, cursor.endIndex)));
    }
    if (cursor.gotoFirstChild()) { parents.push(type); continue; }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) return;
      parents.pop();
    }
  }
}

function lineEnd(text: string, from: number): number {
  const i = text.indexOf('\n', from);
  return i < 0 ? text.length : i;
}

/** cp[u] = the code point index of UTF-16 unit u (n + 1 entries). */
function codePointIndex(text: string): Int32Array {
  const cp = new Int32Array(text.length + 1);
  let k = 0;
  for (let i = 0; i < text.length; i++) {
    cp[i] = k;
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { cp[++i] = k; }
    }
    k++;
  }
  cp[text.length] = k;
  return cp;
}

function maskSpans(mask: Uint8Array, name: string, add: (name: string, s: number, e: number) => void): void {
  let start = -1;
  for (let i = 0; i <= mask.length; i++) {
    const on = i < mask.length && mask[i] !== 0;
    if (on && start < 0) start = i;
    else if (!on && start >= 0) { add(name, start, i); start = -1; }
  }
}

/** Sorted, merged copy of flat [s0, e0, s1, e1, …] spans. */
export function mergeSpans(flat: number[]): Int32Array {
  const idx = Array.from({ length: flat.length / 2 }, (_, k) => k).sort((x, y) => flat[2 * x] - flat[2 * y] || flat[2 * x + 1] - flat[2 * y + 1]);
  const out: number[] = [];
  for (const k of idx) {
    const s = flat[2 * k], e = flat[2 * k + 1];
    if (out.length > 0 && s <= out[out.length - 1]) out[out.length - 1] = Math.max(out[out.length - 1], e);
    else out.push(s, e);
  }
  return Int32Array.from(out);
}

/** The numeric features that come from the text (and its labels) alone. */
function textNumeric(a: Activations, texts: readonly CellText[]): NumericFeature[] {
  const n = a.n;
  const lineLength = new Float32Array(n), toEnd = new Float32Array(n), brackets = new Float32Array(n);
  for (let t = 0; t < a.textStarts.length; t++) {
    const base = a.textStarts[t];
    const end = t + 1 < a.textStarts.length ? a.textStarts[t + 1] : n;
    const chars = Array.from(texts[t].text).slice(0, end - base);
    // line lengths: from each line's break back to its start
    let lineStart = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (i === chars.length || chars[i] === '\n') {
        const len = i - lineStart;
        for (let k = lineStart; k <= Math.min(i, chars.length - 1); k++) { lineLength[base + k] = len; toEnd[base + k] = i - k; }
        lineStart = i + 1;
      }
    }
    // open ( [ { outside strings and comments; a closing one no longer counts
    let depth = 0;
    for (let i = 0; i < chars.length; i++) {
      const r = base + i, ch = chars[i];
      const code = !a.quote[r] && !a.comment[r];
      if (code && (ch === ')' || ch === ']' || ch === '}')) depth = Math.max(0, depth - 1);
      brackets[r] = depth;
      if (code && (ch === '(' || ch === '[' || ch === '{')) depth++;
    }
  }
  return [
    { name: 'column', kind: 'numeric', values: a.column },
    { name: 'line_length', kind: 'numeric', values: lineLength },
    { name: 'to_line_end', kind: 'numeric', values: toEnd },
    { name: 'indent_level', kind: 'numeric', values: a.indentLevel },
    { name: 'block_depth', kind: 'numeric', values: a.indentDepth },
    { name: 'bracket_depth', kind: 'numeric', values: brackets },
  ];
}
