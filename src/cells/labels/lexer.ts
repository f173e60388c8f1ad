// The fallback labeler: one pass over the UTF-16 units with a small mode machine (code,
// template literal), painting quotes, comments, brace depth and if-conditions as it goes.
// Used for languages without a grammar and whenever tree-sitter can't be loaded or parse.
import { commentParts, DELIMITER, INNER, newPaint, paintMax, type Utf16Paint } from './label-paint';
import type { LexerSyntax, QuoteRule } from './lexer-syntax';

const LF = 10, CR = 13, TAB = 9, SPACE = 32, BACKSLASH = 92;

function isIdentUnit(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 0x80;
}
function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c === 36 || c >= 0x80;
}
function isSpace(c: number): boolean { return c === SPACE || c === TAB || c === LF || c === CR || c === 12 || c === 11; }

type IfStyle = LexerSyntax['ifStyle'];
/** An if-condition being read: its keyword or `(` at outerStart, its first token at innerStart. */
interface OpenCondition { style: IfStyle; nest: number; outerStart: number; innerStart: number }

/** Labels a text with the lexer (per UTF-16 unit). */
export function lexPaint(text: string, syntax: LexerSyntax): Utf16Paint {
  const n = text.length;
  const paint = newPaint(n);
  const { quote, comment, cond, depth } = paint;
  const blockOpeners = syntax.blockComments;
  const lineMarkers = syntax.lineComments;
  const ifWords = new Set(syntax.ifKeywords);
  const blockOpenWords = new Set(syntax.blockWords?.open ?? []);
  const blockCloseWords = new Set(syntax.blockWords?.close ?? []);
  const indentDepth = syntax.depth === 'indent';
  /** Line starts that continue a statement (open brackets, a trailing backslash): no indent change. */
  const continued = indentDepth ? new Uint8Array(n + 1) : undefined;

  let braceDepth = 0;        // counted blocks: `{`
  let nest = 0;              // ( [ { nesting, to find where a condition ends
  const subs: number[] = []; // braceDepth at each open `${` of a template literal
  let inTemplate = false;    // scanning the text part of a template literal
  const conds: OpenCondition[] = [];
  let pendingParen = false;  // saw `if`, waiting for its `(`
  let lastTokenEnd = 0;      // end of the last unit that was not whitespace
  let regexOk = true;        // a `/` here would start a regular expression, not divide
  // ASCII units that may open a comment or a string: checked before any startsWith.
  const commentStart = new Uint8Array(128);
  for (const m of [...lineMarkers, ...blockOpeners.map(([open]) => open)]) commentStart[m.charCodeAt(0)] = 1;
  const quoteStart = new Uint8Array(128);
  for (const q of Object.keys(syntax.quotes)) quoteStart[q.charCodeAt(0)] = 1;
  if (syntax.rustRawStrings) quoteStart[35] = 1; // r#"

  /** Paints depth over a token [a, b) and notes where the open condition's content starts. */
  const span = (a: number, b: number): void => {
    if (b - a === 1) depth[a] = braceDepth; else depth.fill(braceDepth, a, b);
    const top = conds[conds.length - 1];
    if (top && top.innerStart < 0) top.innerStart = a;
    lastTokenEnd = b;
  };
  const space = (a: number, b: number): void => { for (let k = a; k < b; k++) depth[k] = braceDepth; };
  /** Closes the innermost condition: outer [outerStart, outerEnd), inner [innerStart, innerEnd). */
  const closeCondition = (innerEnd: number, outerEnd: number): void => {
    const c = conds.pop()!;
    paintMax(cond, c.outerStart, outerEnd, DELIMITER);
    if (c.innerStart >= 0) paintMax(cond, c.innerStart, innerEnd, INNER);
  };
  /** Conditions left open inside brackets that have closed (an unterminated `if … {`): dropped. */
  const dropStale = (): void => {
    while (conds.length > 0 && conds[conds.length - 1].nest > nest) conds.pop();
  };
  /** At a line end, `;` or `then`: shell/Ruby conditions end here, Python ones are broken. */
  const endLine = (): void => {
    while (conds.length > 0) {
      const top = conds[conds.length - 1];
      if (top.nest < nest) break;
      if (top.style === 'line') closeCondition(lastTokenEnd, lastTokenEnd);
      else if (top.style === 'colon') conds.pop();
      else break;
    }
  };

  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);

    if (inTemplate) {
      if (c === BACKSLASH) { const e = Math.min(n, i + 2); quote.fill(INNER, i, e); span(i, e); i = e; continue; }
      if (c === 96) { quote[i] = DELIMITER; span(i, i + 1); inTemplate = false; regexOk = false; i++; continue; }
      if (c === 36 && text.charCodeAt(i + 1) === 123) { subs.push(braceDepth); span(i, i + 2); inTemplate = false; regexOk = true; i += 2; continue; }
      quote[i] = INNER; span(i, i + 1); i++; continue;
    }

    if (c === LF || c === CR) {
      if (c === LF || text.charCodeAt(i + 1) !== LF) {
        const backslash = prevNonSpace(text, i) === BACKSLASH;
        if (!backslash) endLine();
        if (continued && (nest > 0 || backslash)) continued[i + 1] = 1;
      }
      space(i, i + 1); i++; continue;
    }
    if (isSpace(c)) { space(i, i + 1); i++; continue; }

    // Comments: block openers first (Lua's `--[[` also starts with the line marker `--`).
    if (c < 128 && commentStart[c]) {
      const block = blockOpeners.find(([open]) => text.startsWith(open, i));
      if (block) { i = paintComment(text, i, blockCommentEnd(text, i, block[0], block[1], syntax.nestedComments === true), comment, span); continue; }
      const marker = lineMarkers.find((m) => text.startsWith(m, i) && (m !== '#' || !syntax.hashAtWordStart || i === 0 || isSpace(text.charCodeAt(i - 1)) || text.charCodeAt(i - 1) === 59));
      if (marker) { i = paintComment(text, i, lineEnd(text, i), comment, span); continue; }
    }

    // JavaScript regular expressions: code, but their quotes and slashes must not open strings or comments.
    if (c === 47 && regexOk && syntax.regexLiterals) {
      const e = regexEnd(text, i);
      if (e > 0) { pendingParen = false; span(i, e); regexOk = false; i = e; continue; }
    }

    // Strings, with an optional prefix at a word start (r"…", b'x', u8"…", @"…").
    const wordStart = i === 0 || !isIdentUnit(text.charCodeAt(i - 1));
    let prefixEnd = i;
    if (syntax.prefix && wordStart && quoteSoon(text, i, quoteStart)) {
      syntax.prefix.lastIndex = i;
      if (syntax.prefix.test(text)) prefixEnd = syntax.prefix.lastIndex;
    }
    const qu = text.charCodeAt(prefixEnd);
    const rule: QuoteRule | undefined = qu < 128 && quoteStart[qu] ? syntax.quotes[text[prefixEnd]] : undefined;
    const raw = prefixEnd > i && rawStringEnd(text, i, prefixEnd, syntax);
    if (raw) {
      pendingParen = false;
      quote.fill(DELIMITER, i, raw.openEnd); quote.fill(INNER, raw.openEnd, raw.closeStart); quote.fill(DELIMITER, raw.closeStart, raw.end);
      regexOk = false; span(i, raw.end); i = raw.end; continue;
    }
    if (rule) {
      if (rule.template) {
        pendingParen = false;
        quote.fill(DELIMITER, i, prefixEnd + 1); span(i, prefixEnd + 1); inTemplate = true; i = prefixEnd + 1; continue;
      }
      const str = scanQuoted(text, prefixEnd, rule, syntax.tripleQuotes === true);
      if (str) {
        pendingParen = false;
        quote.fill(DELIMITER, i, str.openEnd); quote.fill(INNER, str.openEnd, str.closeStart); quote.fill(DELIMITER, str.closeStart, str.end);
        regexOk = false; span(i, str.end); i = str.end; continue;
      }
    }

    if (isIdentStart(c)) {
      let e = i + 1;
      while (e < n && isIdentUnit(text.charCodeAt(e))) e++;
      // Keywords of interest are short: skip slicing long identifiers.
      const word = e - i <= 10 ? text.slice(i, e) : '';
      if (syntax.ifStyle !== 'none' && ifWords.has(word) && wordStart
        && (syntax.ifStyle !== 'colon' || lineIsBlankBefore(text, i))) {
        span(i, e);
        regexOk = false;
        if (syntax.ifStyle === 'paren') pendingParen = true;
        else conds.push({ style: syntax.ifStyle, nest, outerStart: i, innerStart: -1 });
        i = e; continue;
      }
      if (word === 'then' && conds.length > 0 && conds[conds.length - 1].style === 'line') endLine();
      regexOk = REGEX_AFTER.has(word);
      if (word !== 'constexpr') pendingParen = false; // C++ `if constexpr (…)`
      // Keyword blocks (shell then…fi, do…done): the opener counts, the closer no longer does.
      if (blockOpenWords.has(word)) { braceDepth++; span(i, e); i = e; continue; }
      if (blockCloseWords.has(word)) braceDepth = Math.max(0, braceDepth - 1);
      span(i, e); i = e; continue;
    }

    // Punctuation. After a closing bracket or a number, `/` divides.
    regexOk = !(c === 41 || c === 93 || c === 125 || (c >= 48 && c <= 57) || c === 46);
    if (c === 40 /* ( */) {
      span(i, i + 1);
      if (pendingParen) { pendingParen = false; conds.push({ style: 'paren', nest, outerStart: i, innerStart: i + 1 }); }
      nest++; i++; continue;
    }
    pendingParen = false;
    if (c === 41 /* ) */) {
      nest = Math.max(0, nest - 1);
      dropStale();
      const top = conds[conds.length - 1];
      if (top && top.style === 'paren' && top.nest === nest) closeCondition(i, i + 1);
      span(i, i + 1); i++; continue;
    }
    if (c === 91 /* [ */) { span(i, i + 1); nest++; i++; continue; }
    if (c === 93 /* ] */) { nest = Math.max(0, nest - 1); dropStale(); span(i, i + 1); i++; continue; }
    if (c === 123 /* { */) {
      const top = conds[conds.length - 1];
      if (top && top.style === 'brace' && top.nest === nest) closeCondition(lastTokenEnd, lastTokenEnd);
      braceDepth++; nest++; span(i, i + 1); i++; continue;
    }
    if (c === 125 /* } */) {
      if (subs.length > 0 && subs[subs.length - 1] === braceDepth) {
        subs.pop(); span(i, i + 1); inTemplate = true; i++; continue;
      }
      braceDepth = Math.max(0, braceDepth - 1); nest = Math.max(0, nest - 1); dropStale(); span(i, i + 1); i++; continue;
    }
    if (c === 58 /* : */) {
      const top = conds[conds.length - 1];
      if (top && top.style === 'colon' && top.nest === nest) { closeCondition(lastTokenEnd, i + 1); span(i, i + 1); i++; continue; }
    }
    if (c === 59 /* ; */) {
      const top = conds[conds.length - 1];
      if (top && top.style === 'line' && top.nest === nest) endLine();
    }
    span(i, i + 1); i++;
  }

  if (continued) paintIndentDepth(text, depth, quote, comment, continued);
  return paint;
}

/** Keywords after which a `/` starts a regular expression. */
const REGEX_AFTER = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);

/** End of the regular expression literal starting at the `/` at i, or -1 if none closes on the line. */
function regexEnd(text: string, i: number): number {
  let inClass = false;
  for (let k = i + 1; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === LF || c === CR) return -1;
    if (c === BACKSLASH) { k++; continue; }
    if (c === 91) inClass = true;
    else if (c === 93) inClass = false;
    else if (c === 47 && !inClass) {
      let e = k + 1;
      while (e < text.length && isIdentUnit(text.charCodeAt(e))) e++; // flags
      return e;
    }
  }
  return -1;
}

/** Whether a quote (or Rust's raw-string `#`) follows within the few units a prefix spans. */
function quoteSoon(text: string, i: number, quoteStart: Uint8Array): boolean {
  for (let k = i; k < i + 4 && k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c < 128 && quoteStart[c]) return true;
  }
  return false;
}

function prevNonSpace(text: string, i: number): number {
  let j = i - 1;
  while (j >= 0 && (text.charCodeAt(j) === SPACE || text.charCodeAt(j) === TAB || text.charCodeAt(j) === CR)) j--;
  return j >= 0 ? text.charCodeAt(j) : -1;
}

function lineIsBlankBefore(text: string, i: number): boolean {
  for (let j = i - 1; j >= 0; j--) {
    const c = text.charCodeAt(j);
    if (c === LF || c === CR) return true;
    if (c !== SPACE && c !== TAB) return false;
  }
  return true;
}

function lineEnd(text: string, i: number): number {
  let e = i;
  while (e < text.length && text.charCodeAt(e) !== LF && text.charCodeAt(e) !== CR) e++;
  return e;
}

/** Paints the comment [start, end) (markers as delimiters) and returns its end. */
function paintComment(text: string, start: number, end: number, comment: Uint8Array, span: (a: number, b: number) => void): number {
  const [e, a, b] = commentParts(text, start, end);
  comment.fill(DELIMITER, start, e);
  comment.fill(INNER, a, b);
  span(start, end);
  return end;
}

/** End of the block comment opened at i; nested openers need their own closers when `nests`. */
function blockCommentEnd(text: string, i: number, open: string, close: string, nests: boolean): number {
  let level = 1;
  let j = i + open.length;
  while (j < text.length) {
    if (text.startsWith(close, j)) { j += close.length; if (--level === 0) return j; continue; }
    if (nests && text.startsWith(open, j)) { j += open.length; level++; continue; }
    j++;
  }
  return text.length;
}

interface QuotedSpan { openEnd: number; closeStart: number; end: number }

/** The string whose quote is at `q`: [q, openEnd) opens it, [closeStart, end) closes it (empty
 *  when unterminated). Undefined when a character-literal quote doesn't close in time: then the
 *  quote is code (a Rust lifetime). */
function scanQuoted(text: string, q: number, rule: QuoteRule, triple: boolean): QuotedSpan | undefined {
  const n = text.length;
  const qc = text.charCodeAt(q);
  const closedAt = (k: number, len: number): QuotedSpan => ({ openEnd: q + len, closeStart: k, end: k + len });
  const openAt = (end: number, len: number): QuotedSpan => ({ openEnd: Math.min(end, q + len), closeStart: end, end });
  if (rule.char) {
    let j = q + 1;
    if (text.charCodeAt(j) === BACKSLASH) {
      // '\n', '\x41', '\u{1F600}': the closing quote comes within a few units on the same line.
      for (let k = j + 2; k < Math.min(n, j + 12); k++) {
        const c = text.charCodeAt(k);
        if (c === qc) return closedAt(k, 1);
        if (c === LF || c === CR) break;
      }
      return undefined;
    }
    const c = text.charCodeAt(j);
    if (j >= n || c === qc || c === LF || c === CR) return undefined;
    j += c >= 0xd800 && c <= 0xdbff ? 2 : 1;
    return text.charCodeAt(j) === qc ? closedAt(j, 1) : undefined;
  }
  if (triple && text.charCodeAt(q + 1) === qc && text.charCodeAt(q + 2) === qc) {
    for (let k = q + 3; k < n; k++) {
      const c = text.charCodeAt(k);
      if (rule.escapes && c === BACKSLASH) { k++; continue; }
      if (c === qc && text.charCodeAt(k + 1) === qc && text.charCodeAt(k + 2) === qc) return closedAt(k, 3);
    }
    return openAt(n, 3);
  }
  for (let k = q + 1; k < n; k++) {
    const c = text.charCodeAt(k);
    if (rule.escapes && c === BACKSLASH) { k++; continue; }
    if (c === qc) return closedAt(k, 1);
    if (!rule.multiline && (c === LF || c === CR)) return openAt(k, 1);
  }
  return openAt(n, 1);
}

interface RawString { openEnd: number; closeStart: number; end: number }

/** Rust r#"…"# and C++ R"d(…)d" raw strings whose prefix spans [start, prefixEnd). */
function rawStringEnd(text: string, start: number, prefixEnd: number, syntax: LexerSyntax): RawString | undefined {
  const prefix = text.slice(start, prefixEnd);
  if (syntax.rustRawStrings && prefix.includes('r')) {
    let j = prefixEnd;
    while (text.charCodeAt(j) === 35) j++;
    if (text.charCodeAt(j) !== 34) return undefined;
    const closer = '"' + '#'.repeat(j - prefixEnd);
    const found = text.indexOf(closer, j + 1);
    return found < 0 ? { openEnd: j + 1, closeStart: text.length, end: text.length }
      : { openEnd: j + 1, closeStart: found, end: found + closer.length };
  }
  if (syntax.cppRawStrings && prefix.endsWith('R') && text.charCodeAt(prefixEnd) === 34) {
    const paren = text.indexOf('(', prefixEnd + 1);
    if (paren < 0 || paren - prefixEnd > 17) return undefined;
    const closer = ')' + text.slice(prefixEnd + 1, paren) + '"';
    const found = text.indexOf(closer, paren + 1);
    return found < 0 ? { openEnd: paren + 1, closeStart: text.length, end: text.length }
      : { openEnd: paren + 1, closeStart: found, end: found + closer.length };
  }
  return undefined;
}

/** Depth from indentation (Python, YAML): a stack of indent widths over the lines that start
 *  a statement; blank lines, comment lines, continuations and lines inside strings keep the
 *  depth of the line before. The whole line, its break included, gets its depth. */
function paintIndentDepth(text: string, depth: Int32Array, quote: Uint8Array, comment: Uint8Array, continued: Uint8Array): void {
  const n = text.length;
  const stack = [0];
  let start = 0;
  while (start < n) {
    let end = start;
    while (end < n && text.charCodeAt(end) !== LF) end++;
    let width = 0, j = start;
    for (; j < end; j++) {
      const c = text.charCodeAt(j);
      if (c === SPACE) width++;
      else if (c === TAB) width = (Math.floor(width / 8) + 1) * 8;
      else break;
    }
    const blank = j >= end || text.charCodeAt(j) === CR;
    const insideString = start > 0 && quote[start - 1] !== 0 && quote[j] !== 0;
    if (!blank && !insideString && !continued[start] && comment[j] === 0) {
      while (stack.length > 1 && stack[stack.length - 1] > width) stack.pop();
      if (width > stack[stack.length - 1]) stack.push(width);
    }
    depth.fill(stack.length - 1, start, Math.min(n, end + 1));
    start = end + 1;
  }
}
