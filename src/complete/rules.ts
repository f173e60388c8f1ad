// The editor's rules around a completion: where the cursor sits in its line, what may start a
// completion, when a block is closed, and which completions are not worth showing (they only
// repeat the text after the cursor or the next line).

/** The cursor's line, split at the cursor, and the line after it (no newlines). */
export interface LineContext {
  lineStart: number;
  linePrefix: string;
  lineSuffix: string;
  nextLine: string;
}

export function lineContext(text: string, offset: number): LineContext {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  let lineEnd = text.indexOf('\n', offset);
  if (lineEnd < 0) lineEnd = text.length;
  let nextEnd = lineEnd < text.length ? text.indexOf('\n', lineEnd + 1) : -1;
  if (nextEnd < 0) nextEnd = text.length;
  const strip = (s: string) => (s.endsWith('\r') ? s.slice(0, -1) : s);
  return {
    lineStart,
    linePrefix: text.slice(lineStart, offset),
    lineSuffix: strip(text.slice(offset, lineEnd)),
    nextLine: lineEnd < text.length ? strip(text.slice(lineEnd + 1, nextEnd)) : '',
  };
}

/** At a line start after indentation (the line so far is spaces and tabs): a completion must not
 *  begin with more whitespace. */
export function startsAfterIndent(linePrefix: string): boolean {
  return linePrefix.length > 0 && /^[ \t]+$/.test(linePrefix);
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

export type Verdict = { text: string } | { suppressed: 'empty' | 'repeats-suffix' | 'repeats-next-line' };

/** The text to show for a decoded completion, or why nothing is shown. Trailing whitespace is
 *  dropped; a completion that ends with the text after the cursor is cut before it (inserting it
 *  would double that text); one that only repeats that text or the next line is suppressed. */
export function finishCompletion(raw: string, ctx: LineContext): Verdict {
  let text = raw.replace(/[ \t]+$/, '');
  const suffix = ctx.lineSuffix.trim();
  if (suffix) {
    if (text.trim() && suffix.startsWith(text.trim())) return { suppressed: 'repeats-suffix' };
    if (text.endsWith(suffix)) text = text.slice(0, text.length - suffix.length).replace(/[ \t]+$/, '');
  }
  if (!text.trim()) return { suppressed: 'empty' };
  // the completed line (or block) would be the line below it again
  const next = ctx.nextLine.trim();
  if (next && (text.trim() === next || (ctx.linePrefix + text).trim() === next)) return { suppressed: 'repeats-next-line' };
  return { text };
}
