// What the fallback lexer needs to know about a language: comment markers, quote rules,
// how blocks nest and how an if-condition is delimited. Coarse on purpose: it only has to
// label quotes, comments, depth and conditions well enough where no grammar exists.

export interface QuoteRule {
  /** A backslash escapes the next code unit. */
  escapes: boolean;
  /** May span lines; otherwise an unterminated string ends at the end of its line. */
  multiline: boolean;
  /** JavaScript template literal: the code inside `${…}` is not quote. */
  template?: boolean;
  /** A character literal: it must close after one (possibly escaped) character, or the quote
   *  is plain code (Rust lifetimes `'a`, Haskell primes `x'`). */
  char?: boolean;
}

export interface LexerSyntax {
  lineComments: string[];
  blockComments: Array<[open: string, close: string]>;
  /** Block comments nest (Rust, Swift, Kotlin, Haskell): each opener needs its own closer. */
  nestedComments?: boolean;
  /** '#' opens a comment only at the start of a word (shell `$#`, `${#x}` and yaml `a#b` are not comments). */
  hashAtWordStart?: boolean;
  /** Quote characters that open strings, with their rules. */
  quotes: Record<string, QuoteRule>;
  /** JavaScript regular expression literals (`/"/g` holds no string). */
  regexLiterals?: boolean;
  /** Python's """ and ''' strings. */
  tripleQuotes?: boolean;
  /** Sticky pattern for a string prefix at a word start; the quote must follow it directly
   *  (Python r/b/f/u, Rust b/r, C++ u8/L/R, C# @/$). */
  prefix?: RegExp;
  /** Rust r#"…"# raw strings (a prefix containing `r`). */
  rustRawStrings?: boolean;
  /** C++ R"delim(…)delim" raw strings (a prefix ending in `R`). */
  cppRawStrings?: boolean;
  /** Keywords that open and close blocks besides braces (shell `then` … `fi`). A word that
   *  closes one block and opens the next (`else`) is in neither list: the depth goes on. */
  blockWords?: { open: string[]; close: string[] };
  /** Depth from braces, or from the indentation of lines (Python, YAML). */
  depth: 'braces' | 'indent';
  /** How an if-condition is delimited: `if (…)`; `if … {` (Go, Rust); `if …:` (Python);
   *  `if …` up to `then`, `;` or the line end (shell, Ruby); or no if-statements. */
  ifStyle: 'paren' | 'brace' | 'colon' | 'line' | 'none';
  ifKeywords: string[];
}

const dq: QuoteRule = { escapes: true, multiline: false };
const sq: QuoteRule = { escapes: true, multiline: false };
const charQ: QuoteRule = { escapes: true, multiline: false, char: true };
const template: QuoteRule = { escapes: true, multiline: true, template: true };
const rawBacktick: QuoteRule = { escapes: false, multiline: true };

const cFamily: LexerSyntax = {
  lineComments: ['//'], blockComments: [['/*', '*/']],
  quotes: { '"': dq, "'": charQ }, prefix: /(?:u8R|u8|[uUL]R?|R)(?=["'])/y, cppRawStrings: true,
  depth: 'braces', ifStyle: 'paren', ifKeywords: ['if'],
};

const jsFamily: LexerSyntax = {
  lineComments: ['//'], blockComments: [['/*', '*/']],
  quotes: { '"': dq, "'": sq, '`': template }, regexLiterals: true,
  depth: 'braces', ifStyle: 'paren', ifKeywords: ['if'],
};

const hashFamily: LexerSyntax = {
  lineComments: ['#'], blockComments: [], hashAtWordStart: true,
  quotes: { '"': { escapes: true, multiline: true }, "'": { escapes: false, multiline: true } },
  depth: 'braces', ifStyle: 'line', ifKeywords: ['if', 'elif'],
};

/** Languages without a grammar, and unknown ones: C-like comments, '#' comments at word
 *  starts, double-quoted strings only (a lone apostrophe in prose must not open a string). */
const generic: LexerSyntax = {
  lineComments: ['//', '#'], blockComments: [['/*', '*/']], hashAtWordStart: true,
  quotes: { '"': dq }, depth: 'braces', ifStyle: 'paren', ifKeywords: ['if'],
};

const SYNTAX: Record<string, LexerSyntax> = {
  typescript: jsFamily, typescriptreact: jsFamily, javascript: jsFamily, javascriptreact: jsFamily,
  c: cFamily, cpp: cFamily, 'objective-c': cFamily, 'objective-cpp': cFamily,
  java: { ...cFamily, prefix: undefined, cppRawStrings: false, tripleQuotes: true },
  csharp: { ...cFamily, prefix: /[@$]{1,3}(?=")/y, cppRawStrings: false, tripleQuotes: true },
  kotlin: { ...cFamily, prefix: undefined, cppRawStrings: false, tripleQuotes: true, nestedComments: true },
  swift: { ...cFamily, prefix: undefined, cppRawStrings: false, quotes: { '"': dq }, tripleQuotes: true, nestedComments: true },
  scala: { ...cFamily, prefix: undefined, cppRawStrings: false, tripleQuotes: true, nestedComments: true },
  dart: { ...jsFamily, quotes: { '"': dq, "'": sq }, tripleQuotes: true },
  groovy: { ...jsFamily, quotes: { '"': dq, "'": sq }, tripleQuotes: true },
  go: { ...cFamily, prefix: undefined, cppRawStrings: false, quotes: { '"': dq, "'": charQ, '`': rawBacktick }, ifStyle: 'brace' },
  rust: {
    ...cFamily, prefix: /(?:br|cr|b|r|c)(?=#*"|')/y, cppRawStrings: false, rustRawStrings: true, ifStyle: 'brace', nestedComments: true,
  },
  php: { ...jsFamily, ifKeywords: ['if', 'elseif'], lineComments: ['//', '#'], quotes: { '"': { escapes: true, multiline: true }, "'": { escapes: true, multiline: true } } },
  python: {
    lineComments: ['#'], blockComments: [], quotes: { '"': dq, "'": sq }, tripleQuotes: true,
    prefix: /[rRbBfFuUtT]{1,2}(?=["'])/y, depth: 'indent', ifStyle: 'colon', ifKeywords: ['if', 'elif'],
  },
  ruby: { ...hashFamily, hashAtWordStart: false, quotes: { '"': { escapes: true, multiline: true }, "'": { escapes: true, multiline: true } }, ifKeywords: ['if', 'elsif'] },
  shellscript: { ...hashFamily, blockWords: { open: ['then', 'do'], close: ['fi', 'done', 'elif'] } }, perl: { ...hashFamily, ifStyle: 'paren', ifKeywords: ['if', 'elsif'] },
  powershell: { ...hashFamily, blockComments: [['<#', '#>']], ifStyle: 'paren', ifKeywords: ['if', 'elseif'] },
  makefile: { ...hashFamily, quotes: {}, ifStyle: 'none' }, dockerfile: { ...hashFamily, ifStyle: 'none' },
  cmake: { ...hashFamily, quotes: { '"': dq }, ifStyle: 'paren' }, r: { ...hashFamily, ifStyle: 'paren', ifKeywords: ['if'] },
  yaml: { ...hashFamily, quotes: { '"': dq, "'": { escapes: false, multiline: false } }, depth: 'indent', ifStyle: 'none' },
  toml: { ...hashFamily, hashAtWordStart: false, quotes: { '"': dq, "'": { escapes: false, multiline: false } }, tripleQuotes: true, ifStyle: 'none' },
  ini: { ...hashFamily, lineComments: [';', '#'], quotes: { '"': dq }, ifStyle: 'none' },
  css: { lineComments: [], blockComments: [['/*', '*/']], quotes: { '"': dq, "'": sq }, depth: 'braces', ifStyle: 'none', ifKeywords: [] },
  scss: { lineComments: ['//'], blockComments: [['/*', '*/']], quotes: { '"': dq, "'": sq }, depth: 'braces', ifStyle: 'none', ifKeywords: [] },
  less: { lineComments: ['//'], blockComments: [['/*', '*/']], quotes: { '"': dq, "'": sq }, depth: 'braces', ifStyle: 'none', ifKeywords: [] },
  json: { lineComments: ['//'], blockComments: [['/*', '*/']], quotes: { '"': dq }, depth: 'braces', ifStyle: 'none', ifKeywords: [] },
  jsonc: { lineComments: ['//'], blockComments: [['/*', '*/']], quotes: { '"': dq }, depth: 'braces', ifStyle: 'none', ifKeywords: [] },
  html: { lineComments: [], blockComments: [['<!--', '-->']], quotes: { '"': dq }, depth: 'braces', ifStyle: 'none', ifKeywords: [] },
  xml: { lineComments: [], blockComments: [['<!--', '-->']], quotes: { '"': dq }, depth: 'braces', ifStyle: 'none', ifKeywords: [] },
  vue: { ...jsFamily, blockComments: [['/*', '*/'], ['<!--', '-->']] },
  markdown: { lineComments: [], blockComments: [['<!--', '-->']], quotes: { '`': { escapes: false, multiline: false } }, depth: 'braces', ifStyle: 'none', ifKeywords: [] },
  sql: { lineComments: ['--'], blockComments: [['/*', '*/']], quotes: { "'": { escapes: false, multiline: true }, '"': { escapes: false, multiline: false } }, depth: 'braces', ifStyle: 'none', ifKeywords: [] },
  lua: {
    lineComments: ['--'], blockComments: [['--[[', ']]']], quotes: { '"': dq, "'": sq }, depth: 'braces', ifStyle: 'line', ifKeywords: ['if', 'elseif'],
    blockWords: { open: ['then', 'do', 'function', 'repeat'], close: ['end', 'elseif', 'until'] },
  },
  haskell: { lineComments: ['--'], blockComments: [['{-', '-}']], nestedComments: true, quotes: { '"': dq, "'": charQ }, depth: 'braces', ifStyle: 'line', ifKeywords: ['if'] },
};

export function lexerSyntaxFor(languageId: string): LexerSyntax {
  return Object.prototype.hasOwnProperty.call(SYNTAX, languageId) ? SYNTAX[languageId] : generic;
}
