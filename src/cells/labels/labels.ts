// Per-character feature labels for finding interpretable cells (Karpathy et al. 2015): inside a
// quote, inside a comment, block depth and indentation level, inside an if-condition, column.
// One entry per Unicode code point, the unit the model reads. A tree-sitter parse where a
// grammar exists; the lexer otherwise, or whenever tree-sitter fails (never throws for that).
import { toCharLabels } from './label-paint';
import { grammarFor } from './languages';
import { lexPaint } from './lexer';
import { lexerSyntaxFor } from './lexer-syntax';
import { parserFor } from './tree-sitter-loader';
import { treeSitterPaint } from './tree-sitter-labels';
import { GRAMMAR_RULES } from './tree-sitter-rules';

export { languageFromPath } from './languages';
export { setTreeSitterDir } from './tree-sitter-loader';

/** Labels per code point; 0/1 masks unless noted. */
export interface CharLabels {
  /** Number of code points in the text. */
  length: number;
  /** Inside a string or character literal, delimiters (and prefixes such as f", r#") included;
   *  the code of a substitution (`${…}`, f-string `{…}`) is not. */
  quote: Uint8Array;
  /** quote without its delimiters: for scoring away from the quote characters. */
  quoteInner: Uint8Array;
  /** Inside a comment (line, block, doc), markers included; a line comment's line break is not. */
  comment: Uint8Array;
  /** comment without the markers: `//`, `///`, `/*`, `/**`, `#` and the closing star-slash. */
  commentInner: Uint8Array;
  /** Inside an if-condition: `(…)` after `if` in C-like languages; from the keyword to the
   *  colon for Python `if`/`elif`; from the keyword to the end of the condition in Go, Rust,
   *  Ruby and shell. */
  if: Uint8Array;
  /** if without the parentheses, keyword and colon. */
  ifInner: Uint8Array;
  /** Enclosing blocks: `{` … `}` pairs (an opening brace already counts, a closing one no
   *  longer does), Python indented blocks, Ruby bodies, shell then/do groups. */
  indentDepth: Uint16Array;
  /** Leading-whitespace level of the character's line: tabs + spaces / the file's indent width. */
  indentLevel: Uint16Array;
  /** 0-based position in the line, in code points; a line break belongs to the line it ends. */
  column: Uint32Array;
  source: 'tree-sitter' | 'lexer';
}

/** Labels from the lexer only (synchronous; any language id, unknown ones get a generic lexer). */
export function labelTextWithLexer(text: string, languageId: string): CharLabels {
  return toCharLabels(text, lexPaint(text, lexerSyntaxFor(languageId)), 'lexer');
}

/** Labels from tree-sitter for the languages it has a grammar for (see GRAMMAR_FILES), else
 *  from the lexer; also from the lexer when the runtime or grammar fails to load or parse. */
export async function labelText(text: string, languageId: string): Promise<CharLabels> {
  const stem = grammarFor(languageId);
  const rules = stem ? GRAMMAR_RULES[stem] : undefined;
  if (stem && rules) {
    try {
      const parser = await parserFor(stem);
      const paint = treeSitterPaint(parser, text, rules);
      if (paint) return toCharLabels(text, paint, 'tree-sitter');
    } catch {
      // Missing wasm, an incompatible grammar, out of memory: the lexer's labels will do.
    }
  }
  return labelTextWithLexer(text, languageId);
}
