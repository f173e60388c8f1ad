// Labels from a tree-sitter parse. One descendantsOfType call (a walk in C) collects the nodes
// that matter, in document pre-order; walking every node from JavaScript costs ~1 µs each and
// would dominate on large files. Positions are UTF-16 units, as tree-sitter reports them for
// JavaScript strings.
import type { Language, Node, ParseOptions, Parser } from '@vscode/tree-sitter-wasm';
import { commentParts, DELIMITER, INNER, newPaint, paintMax, type Utf16Paint } from './label-paint';
import { lexPaint } from './lexer';
import { lexerSyntaxFor } from './lexer-syntax';
import type { GrammarRules } from './tree-sitter-rules';

/** Parsing longer than this gives up (the caller falls back to the lexer). */
const PARSE_BUDGET_MS = 30_000;

const enum Kind { None, String, Substitution, Comment, If, Block, Open, Group, Close, Reopen, Opaque }

interface Classifier {
  /** Kind per node type id. */
  kinds: Uint8Array;
  /** Type names to collect. */
  names: string[];
}

const classifiers = new WeakMap<Language, Map<GrammarRules, Classifier>>();

function classifierFor(language: Language, rules: GrammarRules): Classifier {
  let perRules = classifiers.get(language);
  if (!perRules) classifiers.set(language, (perRules = new Map()));
  let cls = perRules.get(rules);
  if (cls) return cls;
  const wanted = new Map<string, { kind: Kind; named: boolean }>();
  const add = (names: string[], kind: Kind, named: boolean): void => { for (const name of names) wanted.set(name, { kind, named }); };
  add(rules.strings, Kind.String, true);
  add(rules.substitutions, Kind.Substitution, true);
  add(rules.comments, Kind.Comment, true);
  add(rules.ifs, Kind.If, true);
  add(rules.blockNodes, Kind.Block, true);
  add(rules.openTokens, Kind.Open, false);
  add(rules.groupTokens, Kind.Group, false);
  add(rules.closeTokens, Kind.Close, false);
  add(rules.reopenTokens, Kind.Reopen, false);
  add(rules.opaque ?? [], Kind.Opaque, true);
  const kinds = new Uint8Array(language.types.length);
  // The same name can be both a named node and a keyword (Ruby `then`, TypeScript `string`).
  language.types.forEach((name, id) => {
    const w = wanted.get(name);
    if (w && language.nodeTypeIsNamed(id) === w.named) kinds[id] = w.kind;
  });
  cls = { kinds, names: [...wanted.keys()] };
  perRules.set(rules, cls);
  return cls;
}

/** Parses `text` and paints its labels, or returns undefined when parsing was given up. */
export function treeSitterPaint(parser: Parser, text: string, rules: GrammarRules): Utf16Paint | undefined {
  const deadline = performance.now() + PARSE_BUDGET_MS;
  // The runtime cancels when the callback returns true (its .d.ts says void).
  const options = { progressCallback: () => performance.now() > deadline } as unknown as ParseOptions;
  const tree = parser.parse(text, null, options);
  if (!tree) { parser.reset(); return undefined; }
  try {
    return paintTree(text, tree.rootNode, tree.language, rules);
  } finally {
    tree.delete();
  }
}

function paintTree(text: string, root: Node, language: Language, rules: GrammarRules): Utf16Paint {
  const n = text.length;
  const paint = newPaint(n);
  const { quote, comment, cond } = paint;
  const depthDelta = new Int32Array(n + 1);
  const cls = classifierFor(language, rules);
  const opens: number[] = []; // positions of open blocks; -1 for an uncounted group
  const opaque: [number, number][] = [];

  const closeInnermost = (at: number): void => {
    if (opens.length === 0) return;
    const start = opens.pop()!;
    if (start >= 0) { depthDelta[start]++; depthDelta[at]--; }
  };

  // Pre-order: a string is painted before the substitutions inside it unpaint their code, and
  // those before the strings nested in them paint again.
  for (const node of root.descendantsOfType(cls.names)) {
    if (!node) continue;
    const kind = cls.kinds[node.typeId] ?? Kind.None;
    if (kind === Kind.None) continue;
    const start = node.startIndex;
    switch (kind) {
      case Kind.String: {
        const end = node.endIndex;
        const [a, b] = stringInner(node, text, start, end);
        quote.fill(DELIMITER, start, end);
        quote.fill(INNER, a, b);
        break;
      }
      case Kind.Substitution:
        quote.fill(0, start, node.endIndex);
        break;
      case Kind.Comment: {
        const [end, a, b] = commentParts(text, start, node.endIndex);
        comment.fill(DELIMITER, start, end);
        comment.fill(INNER, a, b);
        break;
      }
      case Kind.If: {
        const c = conditionRanges(node, text, rules.ifParens);
        if (c) { paintMax(cond, c.outerStart, c.outerEnd, DELIMITER); paintMax(cond, c.innerStart, c.innerEnd, INNER); }
        break;
      }
      case Kind.Opaque:
        opaque.push([start, node.endIndex]);
        break;
      case Kind.Block: {
        depthDelta[lineStartIfLeading(text, start)]++;
        depthDelta[node.endIndex]--;
        break;
      }
      default:
        // Block tokens; a brace inside a string (PHP "{$x}") is not a block.
        if (quote[start] !== 0) break;
        if (kind === Kind.Open) opens.push(start);
        else if (kind === Kind.Group) opens.push(-1);
        else if (kind === Kind.Close) closeInnermost(start);
        else { closeInnermost(start); opens.push(start); }
    }
  }
  while (opens.length > 0) closeInnermost(n);

  let d = 0;
  for (let i = 0; i < n; i++) { d += depthDelta[i]; paint.depth[i] = d; }
  for (const [s, e] of opaque) paintLexed(text, s, e, paint, rules.lexerLanguage ?? 'plaintext');
  return paint;
}

/** Labels [start, end) (text the grammar left unparsed) with the lexer: its strings, comments and
 *  if-conditions, and its braces as depth on top of the depth where the fragment stands. */
function paintLexed(text: string, start: number, end: number, paint: Utf16Paint, languageId: string): void {
  const lexed = lexPaint(text.slice(start, end), lexerSyntaxFor(languageId));
  const base = paint.depth[start];
  for (let i = 0; i < end - start; i++) {
    const j = start + i;
    if (lexed.quote[i] > paint.quote[j]) paint.quote[j] = lexed.quote[i];
    if (lexed.comment[i] > paint.comment[j]) paint.comment[j] = lexed.comment[i];
    if (lexed.cond[i] > paint.cond[j]) paint.cond[j] = lexed.cond[i];
    paint.depth[j] = base + Math.max(0, lexed.depth[i]);
  }
}

/** Named children that delimit a string: string_start, heredoc_end, raw_string_delimiter, … */
const DELIMITER_NODE = /(^|_)(start|end|delimiter)$/;
/** Anonymous children that delimit a string: quotes (Ruby aliases `%q(` to `"`), `<<<`, and the
 *  parentheses of C++ raw strings. A brace in PHP's "{$x}" is not one. */
const DELIMITER_TOKEN = /["'`]|^<<|^[()]$/;

function isQuoteUnit(c: string): boolean { return c === '"' || c === "'" || c === '`'; }

/** The content range of a string node: between its leading and trailing runs of delimiter
 *  children; a leaf string (no children) is read from its text. */
function stringInner(node: Node, text: string, start: number, end: number): [number, number] {
  const kids = node.children;
  if (kids.length === 0) return textualStringInner(text, start, end);
  const isDelimiter = (k: Node | null): k is Node => !!k && (k.isNamed ? DELIMITER_NODE.test(k.type) : DELIMITER_TOKEN.test(k.type));
  let f = 0;
  while (f < kids.length && isDelimiter(kids[f])) f++;
  let l = kids.length;
  while (l > f && isDelimiter(kids[l - 1])) l--;
  // Without delimiter children (Rust r#"…"#) the delimiters are the gaps around the content.
  const a = f > 0 ? kids[f - 1]!.endIndex : kids[0]?.startIndex ?? start;
  const b = l < kids.length ? kids[l]!.startIndex : kids[kids.length - 1]?.endIndex ?? end;
  return [a, Math.max(a, b)];
}

function textualStringInner(text: string, start: number, end: number): [number, number] {
  let j = start;
  while (j < end && j - start < 4 && !isQuoteUnit(text[j])) j++; // prefix: b r# $ @ L u8
  if (j >= end || !isQuoteUnit(text[j])) return [Math.min(end, start + 1), end]; // Ruby ?a
  const q = text[j];
  let run = 0;
  while (j < end && text[j] === q && run < 3) { j++; run++; }
  let k = end;
  while (k > j && text[k - 1] === '#') k--; // Rust r#"…"#
  let closing = 0;
  while (k > j && text[k - 1] === q && closing < run) { k--; closing++; }
  return closing > 0 ? [j, k] : [j, end];
}

/** Moves a block's start back to its line start when only indentation precedes it, so the
 *  leading whitespace of a block's first line is inside the block like that of the others. */
function lineStartIfLeading(text: string, start: number): number {
  let j = start;
  while (j > 0 && (text[j - 1] === ' ' || text[j - 1] === '\t')) j--;
  return j === 0 || text[j - 1] === '\n' || text[j - 1] === '\r' ? j : start;
}

interface ConditionRanges { outerStart: number; outerEnd: number; innerStart: number; innerEnd: number }

function conditionRanges(node: Node, text: string, parens: boolean): ConditionRanges | undefined {
  let parts = node.childrenForFieldName('condition').filter((c): c is Node => !!c && c.isNamed);
  if (parts.length === 0) {
    // Bash elif_clause has no condition field: the commands between `elif` and `then`.
    const kids = node.children.filter((c): c is Node => !!c);
    const then = kids.findIndex((c) => c.type === 'then' && !c.isNamed);
    parts = kids.slice(1, then < 0 ? kids.length : then).filter((c) => c.isNamed);
  }
  if (parts.length === 0) return undefined;
  const first = parts[0], last = parts[parts.length - 1];
  const innerEnd = last.endIndex;
  if (parens) {
    const t = first.type;
    if (parts.length === 1 && (t === 'parenthesized_expression' || t === 'condition_clause')
      && text[first.startIndex] === '(' && text[innerEnd - 1] === ')') {
      return { outerStart: first.startIndex, outerEnd: innerEnd, innerStart: first.startIndex + 1, innerEnd: innerEnd - 1 };
    }
    const before = first.previousSibling, after = last.nextSibling;
    if (before?.type === '(' && after?.type === ')') { // C#: `(` condition `)` are siblings
      return { outerStart: before.startIndex, outerEnd: after.endIndex, innerStart: first.startIndex, innerEnd };
    }
    return { outerStart: first.startIndex, outerEnd: innerEnd, innerStart: first.startIndex, innerEnd };
  }
  // Keyword form: from `if`/`elif` (Python up to its colon); Go's initializer is part of it.
  const init = node.childForFieldName('initializer');
  const head = init && init.startIndex < first.startIndex ? init : first;
  const keyword = head.previousSibling;
  const outerStart = keyword && !keyword.isNamed ? keyword.startIndex : node.startIndex;
  const after = last.nextSibling;
  const outerEnd = after?.type === ':' ? after.endIndex : innerEnd;
  return { outerStart: Math.min(outerStart, head.startIndex), outerEnd, innerStart: head.startIndex, innerEnd };
}
