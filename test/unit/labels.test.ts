// Per-character labels for the cell visualizer: pinned on hand-written snippets.
//
// A picture interleaves source lines (after `|`) with expected marks under them, one line per
// label: q quote, Q quoteInner, c comment, C commentInner, i if, I ifInner ('^' = set), and
// d indentDepth, l indentLevel (one digit per character). A label that appears anywhere in a
// picture is checked on every line: a line without its mark line must have none.
import { strict as assert } from 'node:assert';
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { labelText, labelTextWithLexer, languageFromPath, type CharLabels } from '../../src/cells/labels/labels';

const TAGS: Record<string, keyof CharLabels> = {
  q: 'quote', Q: 'quoteInner', c: 'comment', C: 'commentInner', i: 'if', I: 'ifInner', d: 'indentDepth', l: 'indentLevel',
};

interface Picture { text: string; expected: Map<string, string[]> }

function parsePicture(picture: string): Picture {
  const lines = picture.split('\n');
  while (lines.length > 0 && lines[0].trim() === '') lines.shift();
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const source: string[] = [];
  const marks: Array<Map<string, string>> = [];
  for (const line of lines) {
    if (line.startsWith('|')) { source.push(line.slice(1)); marks.push(new Map()); continue; }
    const tag = line[0];
    assert.ok(TAGS[tag] && marks.length > 0, `bad picture line: ${JSON.stringify(line)}`);
    marks[marks.length - 1].set(tag, line.slice(1));
  }
  const expected = new Map<string, string[]>();
  for (const tag of new Set(marks.flatMap((m) => [...m.keys()]))) {
    expected.set(tag, source.map((src, i) => marks[i].get(tag) ?? (isDigits(tag) ? '0'.repeat([...src].length) : '')));
  }
  return { text: source.join('\n'), expected };
}

function isDigits(tag: string): boolean { return tag === 'd' || tag === 'l'; }

/** One string per line of text: '^'/' ' for masks (trailing blanks dropped), digits for depths. */
function render(text: string, labels: CharLabels, tag: string): string[] {
  const values = labels[TAGS[tag]] as ArrayLike<number>;
  const out: string[] = [];
  let line = '';
  let i = 0;
  for (const ch of text) {
    if (ch === '\n') { out.push(line); line = ''; } else if (ch !== '\r') line += isDigits(tag) ? values[i].toString(36) : values[i] ? '^' : ' ';
    i++;
  }
  out.push(line);
  return isDigits(tag) ? out : out.map((s) => s.trimEnd());
}

function assertPicture(labels: CharLabels, pic: Picture, what: string): void {
  assert.equal(labels.length, [...pic.text].length, `${what}: length`);
  for (const [tag, lines] of pic.expected) {
    assert.deepEqual(render(pic.text, labels, tag), lines, `${what}: ${TAGS[tag]}`);
  }
}

/** Checks a picture through tree-sitter and, unless told otherwise, through the lexer too. */
async function pin(languageId: string, picture: string, opts: { lexer?: boolean; source?: CharLabels['source'] } = {}): Promise<void> {
  const pic = parsePicture(picture);
  const labels = await labelText(pic.text, languageId);
  assert.equal(labels.source, opts.source ?? 'tree-sitter', `${languageId}: source`);
  assertPicture(labels, pic, `${languageId} ${labels.source}`);
  if (opts.lexer !== false) assertPicture(labelTextWithLexer(pic.text, languageId), pic, `${languageId} lexer`);
}

describe('cell labels', function () {
  this.timeout(60_000);

  describe('TypeScript / JavaScript', () => {
    it('escaped quotes, comment markers inside strings, quotes inside comments', () => pin('typescript', String.raw`
|const s = "a\"b"; // x "q"
q          ^^^^^^
Q           ^^^^
c                  ^^^^^^^^
C                    ^^^^^^
|let u = 'it\'s // no' /* 'c' */;
q        ^^^^^^^^^^^^^
Q         ^^^^^^^^^^^
c                      ^^^^^^^^^
C                        ^^^^^
|/** doc "x" */
c^^^^^^^^^^^^^^
C   ^^^^^^^^^
`));

    it('template literals: the code of ${…} is not quote, nested templates are', () => pin('typescript', [
      '|let t = `x${ `a${b}` }y`;',
      'q        ^^   ^^    ^  ^^',
      'Q         ^    ^       ^',
    ].join('\n')));

    it('nested ifs with parentheses inside the condition; brace depth', () => pin('typescript', `
|if ((a) && f(b)) {
i   ^^^^^^^^^^^^^
I    ^^^^^^^^^^^
d000000000000000001
|  if (c) { x(); }
i     ^^^
I      ^
d11111111122222221
|} else if (d) y();
i          ^^^
I           ^
`));

    it('JavaScript, JSX and TSX parse with their grammars', async () => {
      await pin('javascript', `
|if (a) { s = 'x'; }
q             ^^^
Q              ^
i   ^^^
I    ^
`);
      for (const lang of ['javascriptreact', 'typescriptreact']) {
        await pin(lang, `
|const e = <div a="b">{c}</div>;
q                 ^^^
Q                  ^
d0000000000000000000001100000000
`);
      }
    });
  });

  describe('Python', () => {
    it('triple quotes, f-strings, if/elif conditions up to the colon, indented blocks', () => pin('python', String.raw`
|def f(x):
|    """doc "q" """
q    ^^^^^^^^^^^^^^
Q       ^^^^^^^^
d111111111111111111
|    s = f"a{x}b" + r'\d' + ''' it's '''
q        ^^^   ^^   ^^^^^   ^^^^^^^^^^^^
Q          ^   ^      ^^       ^^^^^^
d111111111111111111111111111111111111111
|    if (x > 1) and g(x): # c
c                         ^^^
C                          ^^
i    ^^^^^^^^^^^^^^^^^^^^
I       ^^^^^^^^^^^^^^^^
d1111111111111111111111111111
|        return 1
d2222222222222222
|    elif x:
i    ^^^^^^^
I         ^
d11111111111
|        pass
d222222222222
`, { lexer: false }));

    it('the lexer takes an f-string whole (no interpolation), otherwise agrees', () => {
      const text = 'def f(x):\n    s = f"a{x}b"\n    if x: pass';
      const labels = labelTextWithLexer(text, 'python');
      assert.deepEqual(render(text, labels, 'q'), ['', '        ^^^^^^^^', '']);
      assert.deepEqual(render(text, labels, 'I'), ['', '', '       ^']);
      assert.deepEqual(render(text, labels, 'd'), ['000000000', '1111111111111111', '11111111111111']);
    });
  });

  describe('C, C++, Java, C#', () => {
    it('C char literals, strings holding // and quotes, comments holding quotes', () => pin('c', String.raw`
|int main() { char c = '\''; char *s = "it's // no"; /* "q" */
q                      ^^^^            ^^^^^^^^^^^^
Q                       ^^              ^^^^^^^^^^
c                                                    ^^^^^^^^^
C                                                      ^^^^^
d0000000000011111111111111111111111111111111111111111111111111
|  if (c == '"') { puts("x"); } // 'c'
q           ^^^         ^^^
Q            ^           ^
c                               ^^^^^^
C                                 ^^^^
i     ^^^^^^^^^^
I      ^^^^^^^^
d1111111111111111222222222222211111111
|}
`));

    // tree-sitter leaves a macro's body (and #error's message) unparsed, as one preproc_arg token:
    // kernel and glibc code keeps many of its ifs, strings and braces there.
    it('C macro bodies and #error messages: strings, ifs and braces inside them count', () => pin('c', String.raw`
|#define CHECK(x) do { if (x) puts("bad"); } while (0)
q                                  ^^^^^
Q                                   ^^^
i                         ^^^
I                          ^
d00000000000000000000111111111111111111111100000000000
|#error "no // here"
q       ^^^^^^^^^^^^
Q        ^^^^^^^^^^
d0000000000000000000
|int f() { return CHECK(1); }
d0000000011111111111111111110
`));

    it('C++ raw strings, u8 prefixes and if constexpr', async () => {
      await pin('cpp', String.raw`
|auto r = R"x(a"b)x";
q         ^^^^^^^^^^
Q             ^^^
`);
      await pin('cpp', `
|if constexpr (x) { auto s = u8"a"; }
q                            ^^^^^
Q                               ^
i             ^^^
I              ^
`);
    });

    it('Java char literals, text blocks, nested parentheses in a condition', () => pin('java', String.raw`
|class A { void f() { char c = '\''; String t = """
q                              ^^^^             ^^^
Q                               ^^
d00000000111111111112222222222222222222222222222222
|  a "b" """;
q^^^^^^^^^^^
Q^^^^^^^^
d222222222222
|  if (x && (y)) { s = "q"; } } } // end
q                      ^^^
Q                       ^
c                                 ^^^^^^
C                                   ^^^^
i     ^^^^^^^^^^
I      ^^^^^^^^
d222222222222222233333333333221100000000
`));

    it('C# verbatim and interpolated strings (the lexer takes them whole)', () => pin('csharp', `
|var s = @"a""b"; var t = $"x{y}z"; char c = 'c'; if (x) { }
q        ^^^^^^^          ^^^   ^^           ^^^
Q          ^^^^             ^   ^             ^
i                                                    ^^^
I                                                     ^
`, { lexer: false }));
  });

  describe('Rust and Go', () => {
    it("Rust: lifetimes are not char literals; raw strings, doc and nested comments, if let", () => pin('rust', String.raw`
|/// doc 'a'
c^^^^^^^^^^^
C   ^^^^^^^^
|fn f<'a>(x: &'a str) -> char { let r = r#"a"b"#; // c
q                                       ^^^^^^^^
Q                                          ^^^
c                                                 ^^^^
C                                                   ^^
d00000000000000000000000000000111111111111111111111111
|    if let Some(y) = x.find('"') { 'z' } else { '\n' }
q                            ^^^    ^^^          ^^^^
Q                             ^      ^            ^^
i    ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
I       ^^^^^^^^^^^^^^^^^^^^^^^^^
d111111111111111111111111111111111222222111111122222221
|}
|/* a /* b */ c */
c^^^^^^^^^^^^^^^^^
C  ^^^^^^^^^^^^^
`));

    it('Go: backtick raw strings, runes, if with an initializer', () => pin('go', String.raw`
|func f() { s := ` + '`a"b`' + String.raw`; r := '\''; if err := g(); err != nil { return } }
q                ^^^^^       ^^^^
Q                 ^^^         ^^
i                                  ^^^^^^^^^^^^^^^^^^^^^^^^^
I                                     ^^^^^^^^^^^^^^^^^^^^^^
d000000000111111111111111111111111111111111111111111111111111222222222110
`));
  });

  describe('Ruby, PHP, shell, CSS', () => {
    it('Ruby interpolation, %q(), ?c, modifier if, method bodies', () => pin('ruby', `
|# c
c^^^
C ^^
|def f(x)
|  s = "a#{x}b" + 'c' + %q(d) + ?e
q      ^^    ^^   ^^^   ^^^^^   ^^
Q       ^    ^     ^       ^     ^
d111111111111111111111111111111111
|  return 1 if x > 2
i           ^^^^^^^^
I              ^^^^^
d1111111111111111111
|end
`, { lexer: false }));

    it('PHP strings, comments, if/elseif', () => pin('php', `
|<?php
|# c
c^^^
C ^^
|if ($x == 'a') { echo "b"; } elseif ($y) {}
q          ^^^         ^^^
Q           ^           ^
i   ^^^^^^^^^^^                      ^^^^
I    ^^^^^^^^^                        ^^
`));

    it('shell: expansions inside strings are code; if … then … fi', () => pin('shellscript', `
|#!/bin/sh
c^^^^^^^^^
C ^^^^^^^^
|if [ -f "$x/y" ]; then echo 'a'; fi
q        ^  ^^^              ^^^
Q           ^^                ^
i^^^^^^^^^^^^^^^^
I   ^^^^^^^^^^^^^
d00000000000000000011111111111111100
`, { lexer: false }));

    it('CSS strings, comments, blocks', () => pin('css', `
|a { content: "x"; /* c */ }
q             ^^^
Q              ^
c                  ^^^^^^^
C                    ^^^
d001111111111111111111111110
`));
  });

  describe('languages without a grammar (lexer)', () => {
    it('Kotlin through the C-family lexer', () => pin('kotlin', `
|fun f() { val s = """a"b""" // c
q                  ^^^^^^^^^
Q                     ^^^
c                            ^^^^
C                              ^^
d00000000111111111111111111111111
|  if (x) { y('c') } }
q             ^^^
Q              ^
i     ^^^
I      ^
d111111111222222222110
`, { source: 'lexer' }));

    it('YAML: depth from indentation, # comments', () => pin('yaml', `
|a: "x" # c
q   ^^^
Q    ^
c       ^^^
C        ^^
|b:
|  c: 'd'
q     ^^^
Q      ^
d11111111
|  e:
d1111
|    - f
d2222222
|g: h
`, { source: 'lexer' }));

    it('unknown languages: double quotes only (an apostrophe opens nothing), // and # comments', () => pin('no-such-language', `
|He said "it's fine" # ok
q        ^^^^^^^^^^^
Q         ^^^^^^^^^
c                    ^^^^
C                     ^^^
|if (x) { y }
i   ^^^
I    ^
d000000011110
`, { source: 'lexer' }));
  });

  describe('code points, lines, columns', () => {
    it('labels index code points: astral characters count once', async () => {
      const text = 'const c = "😀x"; // 😀\nif (𝒳) {}';
      for (const labels of [await labelText(text, 'typescript'), labelTextWithLexer(text, 'typescript')]) {
        assert.equal(labels.length, [...text].length);
        assert.equal(labels.length, text.length - 3);
        const cps = [...text];
        const where = (mask: Uint8Array) => cps.filter((_, i) => mask[i]).join('');
        assert.equal(where(labels.quote), '"😀x"');
        assert.equal(where(labels.quoteInner), '😀x');
        assert.equal(where(labels.comment), '// 😀');
        assert.equal(where(labels.ifInner), '𝒳');
        assert.deepEqual(Array.from(labels.column.slice(10, 15)), [10, 11, 12, 13, 14]);
        assert.equal(labels.column[cps.indexOf('\n')], 20);
        assert.equal(labels.column[cps.indexOf('𝒳')], 4);
      }
    });

    it('CRLF: the break belongs to the line it ends; a comment stops before it', async () => {
      const text = 'a // x\r\n  b\r\n';
      for (const labels of [await labelText(text, 'typescript'), labelTextWithLexer(text, 'typescript')]) {
        assert.deepEqual(Array.from(labels.column), [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4]);
        assert.deepEqual(Array.from(labels.comment), [0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0]);
        assert.deepEqual(Array.from(labels.indentLevel), [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
      }
    });

    it('an empty text gives empty labels', async () => {
      for (const labels of [await labelText('', 'typescript'), labelTextWithLexer('', 'python'), await labelText('', 'plaintext')]) {
        assert.equal(labels.length, 0);
        assert.equal(labels.quote.length, 0);
        assert.equal(labels.column.length, 0);
      }
    });

    it('indent level in units of the detected width; tabs are one level each', () => {
      const spaces = 'a\n  b\n    c\n      d\n  /**\n   * e\n   */';
      assert.deepEqual(render(spaces, labelTextWithLexer(spaces, 'typescript'), 'l'), ['0', '111', '22222', '3333333', '11111', '111111', '11111']);
      const four = 'a\n    b\n        c\n      d';
      assert.deepEqual(render(four, labelTextWithLexer(four, 'typescript'), 'l'), ['0', '11111', '222222222', '1111111']);
      const tabs = 'a\n\tb\n\t\tc';
      assert.deepEqual(render(tabs, labelTextWithLexer(tabs, 'typescript'), 'l'), ['0', '11', '222']);
    });
  });

  describe('languageFromPath', () => {
    it('maps extensions and well-known names to VS Code language ids', () => {
      const cases: Array<[string, string]> = [
        ['src/a.ts', 'typescript'], ['a.tsx', 'typescriptreact'], ['lib/x.mjs', 'javascript'], ['a.jsx', 'javascriptreact'],
        ['pkg/m.py', 'python'], ['x.c', 'c'], ['x.h', 'c'], ['x.hpp', 'cpp'], ['A.cs', 'csharp'], ['A.java', 'java'],
        ['main.go', 'go'], ['lib.rs', 'rust'], ['x.rb', 'ruby'], ['i.php', 'php'], ['run.sh', 'shellscript'], ['s.css', 'css'],
        ['dir\\Makefile', 'makefile'], ['README.md', 'markdown'], ['.gitignore', 'plaintext'], ['LICENSE', 'plaintext'], ['A.KT', 'kotlin'],
      ];
      for (const [file, id] of cases) assert.equal(languageFromPath(file), id, file);
    });
  });

  describe('robustness and speed', () => {
    it('falls back to the lexer when tree-sitter cannot load (no crash)', () => {
      const root = path.resolve(__dirname, '..', '..');
      const script = `
        const m = require('./src/cells/labels/labels.ts');
        m.setTreeSitterDir(require('node:path').join(require('node:os').tmpdir(), 'no-such-tree-sitter-dir'));
        m.labelText('if (a) { s = "x"; }', 'typescript').then((l) => console.log(JSON.stringify([l.source, Array.from(l.quote).join('')])));`;
      const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: root, encoding: 'utf8' });
      assert.deepEqual(JSON.parse(out.trim()), ['lexer', '0000000000000111000']);
    });

    it('labels 1 MB of TypeScript quickly, and the lexer agrees with the parser on it', async () => {
      const unit = [
        '/** Doc "comment" with \'quotes\'. */',
        'export function f$(a: string, b = `t${a.length > 2 ? `n${a}` : "x"}`): number {',
        "  const re = /[\"'`]+/g; // a \"regex\" holding quotes",
        "  if ((a.length > 1 && b !== 'y') || re.test(a)) {",
        '    for (let i = 0; i < 3; i++) { if (i) { a += "\\"" + \'\\\'\' + i / 2; } }',
        '  }',
        '  return a.length;',
        '}',
        '',
      ].join('\n');
      const text = unit.repeat(Math.ceil(1_000_000 / unit.length));
      const t0 = performance.now();
      const parsed = await labelText(text, 'typescript');
      const ms = performance.now() - t0;
      assert.equal(parsed.source, 'tree-sitter');
      assert.ok(ms < 20_000, `labelText took ${ms.toFixed(0)} ms for ${text.length} chars`);
      const lexed = labelTextWithLexer(text, 'typescript');
      for (const key of ['quote', 'quoteInner', 'comment', 'commentInner', 'if', 'ifInner', 'indentDepth', 'indentLevel', 'column'] as const) {
        assert.deepEqual(lexed[key], parsed[key], key);
      }
    });
  });
});
