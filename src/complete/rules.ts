// The editor's rules around a completion: where the cursor sits in its line, what may start a
// completion, when a block is closed, and which completions are not worth showing (they only
// repeat the text after the cursor or the next line).

/** The cursor's line, split at the cursor, and the lines before and after it (no newlines). */
export interface LineContext {
  lineStart: number;
  linePrefix: string;
  lineSuffix: string;
  nextLine: string;
  prevLine: string;
}

export function lineContext(text: string, offset: number): LineContext {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = text.length;
  let nextEnd = lineEnd < text.length ? text.indexOf('\n', lineEnd + 1) : -1;
  if (nextEnd < 0) nextEnd = text.length;
  const strip = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s);
  const prevStart = lineStart > 0 ? text.lastIndexOf('\n', lineStart - 2) + 1 : lineStart;
  return {
    prevLine: lineStart > 0 ? strip(text.slice(prevStart, lineStart - 1)) : '',
    lineStart,
    linePrefix: text.slice(lineStart, offset),
    lineSuffix: strip(text.slice(offset, lineEnd)),
    nextLine: lineEnd < text.length ? strip(text.slice(lineEnd + 1, nextEnd)) : '',
  };
}

/** At a line start, after its indentation or at column 0 (the line so far is blank): the user has
 *  finished indenting, so a completion must not begin with whitespace (nor end the line at once). */
export function startsAfterIndent(linePrefix: string): boolean {
  return /^[ \t]*$/.test(linePrefix);
}

export function isNewlineCode(code: number): boolean {
  return code === 10 || code === 13;
}

/** Whitespace that must not start a completion after indentation (newlines too). */
export function isBlankCode(code: number): boolean {
  return code === 32 || code === 9 || code === 10 || code === 13 || code === 11 || code === 12 || code === 0xa0;
}

/** +1 for an opening bracket, −1 for a closing one, 0 otherwise. */
export function bracketDelta(code: number): number {
  if (code === 40 || code === 91 || code === 123) return 1;
  if (code === 41 || code === 93 || code === 125) return -1;
  return 0;
}

/** Brackets the line so far leaves open (closers of earlier lines do not go below zero): a block
 *  completion may go on over lines until they are closed. */
export function openBrackets(linePrefix: string): number {
  let depth = 0;
  for (let i = 0; i < linePrefix.length; i++) {
    const d = bracketDelta(linePrefix.charCodeAt(i));
    depth = Math.max(0, depth + d);
  }
  return depth;
}

/** A completion to insert at the cursor: `replace` characters after the cursor (on its line) are
 *  replaced by `text` (the ones an editor closed by itself, which the completion closes too). */
export type Verdict = { text: string; replace: number } | { suppressed: 'empty' | 'repeats-suffix' | 'repeats-next-line' };

/** Text after the cursor that an editor may have put there by itself when the user opened a bracket
 *  or a quote (with a ; or , typed after it): closers only, e.g. `)`, `')`, `));`, `}`. */
const CLOSING_SUFFIX = /^[)\]}"'`]+[;,]?$/;

/** The text to show for a decoded completion, or why nothing is shown. Trailing whitespace is
 *  dropped. When the text after the cursor only closes what is open (an auto-closed `)` after
 *  `if (`), the completion merges with it: the closers it writes at its own depth 0 stand for the
 *  suffix's, in order, and replace them (`typeof x) {` over `)` gives `if (typeof x) {`, not
 *  `if (typeof x) {)`); a closer it writes that the suffix does not have next ends it. Otherwise a
 *  completion that ends with the text after the cursor is cut before it (inserting it would double
 *  that text), and one that only repeats that text or the next line is suppressed. */
export function finishCompletion(raw: string, ctx: LineContext): Verdict {
  let text = raw.replace(/[ \t]+$/, '');
  let replace = 0;
  const suffix = ctx.lineSuffix.replace(/[ \t]+$/, '');
  if (CLOSING_SUFFIX.test(suffix)) {
    const m = mergeWithClosers(text, suffix);
    text = m.text.replace(/[ \t]+$/, '');
    replace = m.replace;
    if (replace > 0 && text.length > 0 && text.endsWith(suffix.slice(0, replace)) && text.length === m.mergedAt + 1) {
      // it ends with the closers themselves: insert what comes before them, they stay
      text = text.slice(0, text.length - replace).replace(/[ \t]+$/, '');
      replace = 0;
    }
    if (!text.trim()) return { suppressed: m.replace > 0 ? 'repeats-suffix' : 'empty' };
  } else if (suffix.trim()) {
    const rest = suffix.trim();
    if (text.trim() && rest.startsWith(text.trim())) return { suppressed: 'repeats-suffix' };
    if (text.endsWith(rest)) text = text.slice(0, text.length - rest.length).replace(/[ \t]+$/, '');
  }
  if (!text.trim()) return { suppressed: 'empty' };
  // the completed line (or block) would be the line below it again
  const next = ctx.nextLine.trim();
  if (next && (text.trim() === next || (ctx.linePrefix + text).trim() === next)) return { suppressed: 'repeats-next-line' };
  return { text, replace };
}

const OPENER_OF: Record<string, string> = { ')': '(', ']': '[', '}': '{' };

/** Walks the completion with its own bracket depth: a closer (or quote, ; ,) at depth 0 is the
 *  suffix's next character written again, and is merged; one the suffix does not have next ends
 *  the completion there, and so does a bracket or string it leaves open at its end. Returns the completion (cut, if so), how many suffix characters it
 *  merged, and the index of the last merged character (−1: none). */
function mergeWithClosers(text: string, suffix: string): { text: string; replace: number; mergedAt: number } {
  const open: string[] = [];   // brackets the completion opened and has not closed
  let quote = '';              // a string the completion opened
  let k = 0, mergedAt = -1;
  let balancedAt = 0;          // the length up to which the completion's own brackets are closed
  for (let i = 0; i < text.length; i++) {
    if (open.length === 0 && !quote) balancedAt = i;
    const ch = text[i];
    if (quote) { if (ch === quote && text[i - 1] !== '\\') quote = ''; continue; }
    if (open.length === 0 && ch === suffix[k]) {
      k++; mergedAt = i;
      if (k === suffix.length) return { text, replace: k, mergedAt };   // the rest comes after the suffix
      continue;
    }
    if (ch === '(' || ch === '[' || ch === '{') { open.push(ch); continue; }
    if (OPENER_OF[ch]) {
      if (open.length > 0 && open[open.length - 1] === OPENER_OF[ch]) { open.pop(); continue; }
      return { text: text.slice(0, i), replace: k, mergedAt };   // closes something the suffix does not
    }
    if ((ch === '"' || ch === "'" || ch === '`') && open.length === 0 && '"\'`'.includes(suffix[k])) {
      return { text: text.slice(0, i), replace: k, mergedAt };   // would end the suffix's string elsewhere
    }
    if (ch === '"' || ch === "'" || ch === '`') quote = ch;
  }
  // the suffix is not all merged: a bracket or string the completion left open would end up
  // before the suffix's closers
  if (open.length > 0 || quote) return { text: text.slice(0, balancedAt), replace: k, mergedAt: Math.min(mergedAt, balancedAt - 1) };
  return { text, replace: k, mergedAt };
}
