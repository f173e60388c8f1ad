// Languages the cell labels know: VS Code language ids from file names, and which
// tree-sitter grammar (if any) parses each one. Everything else goes through the lexer.
import grammars from './grammars.json';

/** VS Code language id -> grammar file stem in @vscode/tree-sitter-wasm (tree-sitter-<stem>.wasm).
 *  The package ships no C grammar; the C++ grammar parses ordinary C well enough for labels; the
 *  JavaScript grammar includes JSX. A JSON file, so that the build copies just these grammars. */
export const GRAMMAR_FILES: Readonly<Record<string, string>> = grammars;

const BY_EXTENSION: Readonly<Record<string, string>> = {
  ts: 'typescript', mts: 'typescript', cts: 'typescript', tsx: 'typescriptreact',
  js: 'javascript', mjs: 'javascript', cjs: 'javascript', jsx: 'javascriptreact',
  py: 'python', pyw: 'python', pyi: 'python',
  c: 'c', h: 'c',
  cc: 'cpp', cpp: 'cpp', cxx: 'cpp', 'c++': 'cpp', hh: 'cpp', hpp: 'cpp', hxx: 'cpp', ino: 'cpp',
  cs: 'csharp', java: 'java', go: 'go', rs: 'rust',
  rb: 'ruby', rake: 'ruby', gemspec: 'ruby',
  php: 'php', phtml: 'php',
  sh: 'shellscript', bash: 'shellscript', zsh: 'shellscript', ksh: 'shellscript',
  css: 'css', scss: 'scss', less: 'less',
  json: 'json', jsonc: 'jsonc', md: 'markdown', markdown: 'markdown',
  yaml: 'yaml', yml: 'yaml', toml: 'toml', ini: 'ini', cfg: 'ini',
  html: 'html', htm: 'html', xml: 'xml', svg: 'xml', vue: 'vue',
  sql: 'sql', lua: 'lua', kt: 'kotlin', kts: 'kotlin', swift: 'swift', scala: 'scala',
  dart: 'dart', m: 'objective-c', mm: 'objective-cpp', pl: 'perl', pm: 'perl', r: 'r',
  ps1: 'powershell', psm1: 'powershell', hs: 'haskell', groovy: 'groovy', gradle: 'groovy',
  mk: 'makefile', cmake: 'cmake', dockerfile: 'dockerfile', txt: 'plaintext',
};

const BY_FILE_NAME: Readonly<Record<string, string>> = {
  makefile: 'makefile', gnumakefile: 'makefile', dockerfile: 'dockerfile',
  rakefile: 'ruby', gemfile: 'ruby', 'cmakelists.txt': 'cmake',
  '.bashrc': 'shellscript', '.bash_profile': 'shellscript', '.zshrc': 'shellscript', '.profile': 'shellscript',
};

/** The VS Code language id of a file, from its name (a relative or absolute path, either slash).
 *  Unknown names give 'plaintext'. */
export function languageFromPath(relPath: string): string {
  const name = relPath.slice(Math.max(relPath.lastIndexOf('/'), relPath.lastIndexOf('\\')) + 1).toLowerCase();
  const byName = BY_FILE_NAME[name];
  if (byName) return byName;
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return 'plaintext'; // no extension, or a dotfile such as .gitignore
  return BY_EXTENSION[name.slice(dot + 1)] ?? 'plaintext';
}

/** The grammar file stem for a language id, or undefined when only the lexer covers it. */
export function grammarFor(languageId: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(GRAMMAR_FILES, languageId) ? GRAMMAR_FILES[languageId] : undefined;
}
