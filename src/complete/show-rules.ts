// What the editor does not show, beyond what decoding rules out (rules.ts): a ghost the user
// would type as fast as read (fewer than MIN_SHOWN_CHARS characters), one that only closes
// brackets or ends a statement (`)`, `});`), and in a comment, text the user just wrote again (the
// line above, or the completion repeating itself), which a character model is prone to. `lstm-lens
// complete` answers without these rules: it reports what the decoder finishes the line with.
import type { LineContext } from './rules';

/** Characters (not counting blanks) a ghost completion has at least. */
export const MIN_SHOWN_CHARS = 3;
/** A run of this many characters seen before in the comment is a repetition. */
const REPEAT_CHARS = 10;

export type ShowVerdict = { text: string } | { suppressed: 'too-short' | 'only-closes' | 'repeats-comment' };

/** The part of a completion the editor shows, or why it shows none. */
export function showVerdict(text: string, ctx: LineContext): ShowVerdict {
  if (/^[\s)\]}>;,.'"`]*$/.test(text)) return { suppressed: 'only-closes' };
  let shown = text;
  if (inComment(ctx.linePrefix)) {
    shown = cutRepetition(text, `${commentText(ctx.prevLine)}\n${commentText(ctx.linePrefix)}`).replace(/[ \t]+$/, '');
    if (shown.replace(/\s/g, '').length < MIN_SHOWN_CHARS) return { suppressed: 'repeats-comment' };
  }
  if (shown.replace(/\s/g, '').length < MIN_SHOWN_CHARS) return { suppressed: 'too-short' };
  return { text: shown };
}

/** Whether the cursor is in a comment: after a line comment's marker (`//`, `#`, `--` outside
 *  quotes), or on a line of a block comment (it starts with `*` or `/*`). */
export function inComment(linePrefix: string): boolean {
  const t = linePrefix.trimStart();
  if (t.startsWith('*') || t.startsWith('/*')) return true;
  let quote = '';
  for (let i = 0; i < linePrefix.length; i++) {
    const ch = linePrefix[i];
    if (quote) { if (ch === quote && linePrefix[i - 1] !== '\\') quote = ''; continue; }
    if (ch === '"' || ch === "'" || ch === '`') { quote = ch; continue; }
    if (ch === '/' && linePrefix[i + 1] === '/') return true;
    if (ch === '-' && linePrefix[i + 1] === '-' && /^\s*--/.test(linePrefix.slice(0, i + 2))) return true;
    // a shell or Python comment, not C's #include nor a private #field
    if (ch === '#' && (i === 0 || /\s/.test(linePrefix[i - 1])) && /^#(\s|!|$)/.test(linePrefix.slice(i))) return true;
  }
  return false;
}

/** A comment line without its markers: what a repetition is looked for in. */
function commentText(line: string): string {
  return line.replace(/^\s*(\/\/+|\/\*+|\*+|#+|--+)\s?/, '');
}

/** The completion up to where it starts writing again a run of REPEAT_CHARS characters that the
 *  comment so far (`seen`) or the completion itself already has. */
export function cutRepetition(text: string, seen: string): string {
  for (let i = 0; i + REPEAT_CHARS <= text.length; i++) {
    const run = text.slice(i, i + REPEAT_CHARS);
    if (!/\w/.test(run)) continue;   // blanks and rules of dashes are not a sentence said twice
    if (seen.includes(run) || text.slice(0, i + REPEAT_CHARS - 1).includes(run)) return text.slice(0, i);
  }
  return text;
}
