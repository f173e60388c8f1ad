// Finds and loads the tree-sitter runtime and grammars (WebAssembly) once per process.
// The wasm files live next to the bundle (dist/tree-sitter/, copied by scripts/build.mjs) or
// in node_modules/@vscode/tree-sitter-wasm/wasm when running from source (tests under tsx).
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Parser } from '@vscode/tree-sitter-wasm';

type TreeSitterModule = typeof import('@vscode/tree-sitter-wasm');

let dirOverride: string | undefined;
let runtime: Promise<TreeSitterModule> | undefined;
const parsers = new Map<string, Promise<Parser>>();

/** Use only the wasm files in `dir` (holding tree-sitter.wasm and tree-sitter-<lang>.wasm), e.g.
 *  the extension's `<extensionPath>/dist/tree-sitter`. Call before the first labelText. */
export function setTreeSitterDir(dir: string): void {
  dirOverride = dir;
}

/** The first folder that holds tree-sitter.wasm, or undefined. */
export function treeSitterDir(): string | undefined {
  if (dirOverride) return fs.existsSync(path.join(dirOverride, 'tree-sitter.wasm')) ? dirOverride : undefined;
  const candidates: string[] = [];
  if (typeof __dirname === 'string') {
    candidates.push(path.join(__dirname, 'tree-sitter'), path.join(__dirname, '..', 'tree-sitter'));
  }
  try {
    candidates.push(path.join(path.dirname(require.resolve('@vscode/tree-sitter-wasm/package.json')), 'wasm'));
  } catch { /* not installed next to us: the bundle's copy must do */ }
  return candidates.find((dir) => fs.existsSync(path.join(dir, 'tree-sitter.wasm')));
}

async function loadRuntime(): Promise<TreeSitterModule> {
  const dir = treeSitterDir();
  if (!dir) throw new Error('tree-sitter wasm files not found');
  const imported = (await import('@vscode/tree-sitter-wasm')) as TreeSitterModule & { default?: TreeSitterModule };
  // The runtime is a UMD module: under some loaders its exports arrive as `default`.
  const ts = imported.Parser ? imported : imported.default;
  if (!ts?.Parser) throw new Error('tree-sitter runtime has no Parser');
  await ts.Parser.init({ locateFile: (file: string) => path.join(dir, file) });
  return ts;
}

/** A parser for grammar `stem` (tree-sitter-<stem>.wasm), created once and reused. A failure
 *  is remembered too, so callers fall back at once on later calls. */
export function parserFor(stem: string): Promise<Parser> {
  let parser = parsers.get(stem);
  if (!parser) {
    parser = (async () => {
      runtime ??= loadRuntime();
      const ts = await runtime;
      const dir = treeSitterDir();
      if (!dir) throw new Error('tree-sitter wasm files not found');
      const language = await ts.Language.load(fs.readFileSync(path.join(dir, `tree-sitter-${stem}.wasm`)));
      const p = new ts.Parser();
      p.setLanguage(language);
      return p;
    })();
    parsers.set(stem, parser);
  }
  return parser;
}
