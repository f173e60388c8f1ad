// Which tree-sitter node types carry each label, per grammar (names as in each grammar's
// node-types; printed from parses of examples, see test/unit/labels.test.ts).

export interface GrammarRules {
  /** Named nodes painted as quote (delimiters included). */
  strings: string[];
  /** Named nodes inside strings that are code again: `${…}`, f-string `{…}`, `#{…}`, `$(…)`. */
  substitutions: string[];
  comments: string[];
  /** Named nodes whose condition is labelled `if`. */
  ifs: string[];
  /** C-like: the condition sits in parentheses (which belong to it). Otherwise it runs from the
   *  keyword to the end of the condition (Python: to the colon). */
  ifParens: boolean;
  /** Named nodes that each add one level of depth (Python blocks, Ruby bodies). */
  blockNodes: string[];
  /** Anonymous tokens that open a counted block, open an uncounted group (`${`, `#{`),
   *  close the innermost open one, or close it and open a new block (shell `else`). */
  openTokens: string[];
  groupTokens: string[];
  closeTokens: string[];
  reopenTokens: string[];
  /** Named nodes whose text the grammar leaves unparsed (C's macro bodies, `#define X(a) do { if
   *  (a) … } while (0)`, and `#error` messages): labelled by the lexer of `lexerLanguage` instead,
   *  their depth counted from the depth where they stand. */
  opaque?: string[];
  lexerLanguage?: string;
}

const braces = { blockNodes: [], openTokens: ['{'], groupTokens: ['${', '#{'], closeTokens: ['}'], reopenTokens: [] };

const js: GrammarRules = {
  strings: ['string', 'template_string', 'template_literal_type'],
  substitutions: ['template_substitution', 'template_type'],
  comments: ['comment', 'html_comment'],
  ifs: ['if_statement'], ifParens: true, ...braces,
};

export const GRAMMAR_RULES: Readonly<Record<string, GrammarRules>> = {
  typescript: js,
  tsx: js,
  javascript: js,
  python: {
    strings: ['string'], substitutions: ['interpolation'], comments: ['comment'],
    ifs: ['if_statement', 'elif_clause'], ifParens: false,
    blockNodes: ['block'], openTokens: [], groupTokens: [], closeTokens: [], reopenTokens: [],
  },
  cpp: {
    strings: ['string_literal', 'char_literal', 'raw_string_literal'], substitutions: [], comments: ['comment'],
    ifs: ['if_statement'], ifParens: true, ...braces, opaque: ['preproc_arg'], lexerLanguage: 'cpp',
  },
  'c-sharp': {
    strings: ['string_literal', 'verbatim_string_literal', 'raw_string_literal', 'character_literal', 'interpolated_string_expression'],
    substitutions: ['interpolation'], comments: ['comment'],
    ifs: ['if_statement'], ifParens: true, ...braces,
  },
  java: {
    strings: ['string_literal', 'character_literal'], substitutions: ['string_interpolation'],
    comments: ['line_comment', 'block_comment'],
    ifs: ['if_statement'], ifParens: true, ...braces,
  },
  go: {
    strings: ['interpreted_string_literal', 'raw_string_literal', 'rune_literal'], substitutions: [], comments: ['comment'],
    ifs: ['if_statement'], ifParens: false, ...braces,
  },
  rust: {
    strings: ['string_literal', 'raw_string_literal', 'char_literal'], substitutions: [],
    comments: ['line_comment', 'block_comment'],
    ifs: ['if_expression'], ifParens: false, ...braces,
  },
  ruby: {
    strings: ['string', 'character', 'heredoc_body', 'subshell'], substitutions: ['interpolation'], comments: ['comment'],
    ifs: ['if', 'elsif', 'if_modifier'], ifParens: false,
    ...braces, blockNodes: ['body_statement', 'then', 'else', 'do', 'ensure'],
  },
  php: {
    strings: ['string', 'encapsed_string', 'heredoc', 'nowdoc'], substitutions: [], comments: ['comment'],
    ifs: ['if_statement', 'else_if_clause'], ifParens: true, ...braces,
  },
  bash: {
    strings: ['string', 'raw_string', 'ansi_c_string', 'translated_string', 'heredoc_body'],
    substitutions: ['command_substitution', 'expansion', 'simple_expansion', 'arithmetic_expansion', 'process_substitution'],
    comments: ['comment'],
    ifs: ['if_statement', 'elif_clause'], ifParens: false,
    blockNodes: [], openTokens: ['{', 'then', 'do'], groupTokens: ['${'], closeTokens: ['}', 'fi', 'done', 'elif'], reopenTokens: ['else'],
  },
  css: {
    strings: ['string_value'], substitutions: [], comments: ['comment', 'js_comment'],
    ifs: [], ifParens: false, ...braces,
  },
};
