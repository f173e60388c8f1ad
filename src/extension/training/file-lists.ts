// The Training panel's "Files" section: the corpus's file lists (from the worker's corpus
// message) as groups the page draws as they are: what was trained on (counted by language),
// what was held out for validation, and what was skipped and why. No vscode import.
import type { CorpusFileLists } from '../../training/protocol';
import { compact, plural } from '../format';
import type { PanelFileGroup } from './panel-messages';

export type { PanelFileGroup };

/** Language names by file extension (the common ones; others are named by their extension). */
const LANGUAGES: Record<string, string> = {
  ts: 'TypeScript', tsx: 'TypeScript', mts: 'TypeScript', cts: 'TypeScript', js: 'JavaScript', jsx: 'JavaScript', mjs: 'JavaScript', cjs: 'JavaScript',
  py: 'Python', pyi: 'Python', c: 'C', h: 'C', cc: 'C++', cpp: 'C++', cxx: 'C++', hpp: 'C++', hh: 'C++', cs: 'C#', java: 'Java', kt: 'Kotlin',
  go: 'Go', rs: 'Rust', rb: 'Ruby', php: 'PHP', swift: 'Swift', lua: 'Lua', sh: 'Shell', bash: 'Shell', zsh: 'Shell', ps1: 'PowerShell',
  md: 'Markdown', rst: 'reStructuredText', txt: 'Text', json: 'JSON', jsonc: 'JSON', yaml: 'YAML', yml: 'YAML', toml: 'TOML', xml: 'XML',
  html: 'HTML', htm: 'HTML', css: 'CSS', scss: 'SCSS', less: 'Less', sql: 'SQL', r: 'R', jl: 'Julia', hs: 'Haskell', ml: 'OCaml',
  ex: 'Elixir', exs: 'Elixir', erl: 'Erlang', clj: 'Clojure', scala: 'Scala', dart: 'Dart', vue: 'Vue', svelte: 'Svelte', zig: 'Zig',
};

export function languageOf(relPath: string): string {
  const name = relPath.slice(relPath.lastIndexOf('/') + 1);
  const dot = name.lastIndexOf('.');
  if (dot <= 0) return name === 'Makefile' || name === 'Dockerfile' ? name : 'no extension';
  const ext = name.slice(dot + 1).toLowerCase();
  return LANGUAGES[ext] ?? `.${ext}`;
}

/** "TypeScript 9, Python 3, .cfg 1": most files first, then by name. */
export function languageCounts(paths: readonly string[]): string {
  const counts = new Map<string, number>();
  for (const p of paths) counts.set(languageOf(p), (counts.get(languageOf(p)) ?? 0) + 1);
  return [...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map(([l, n]) => `${l} ${n.toLocaleString('en-US')}`).join(', ');
}

export function panelFileGroups(l: CorpusFileLists): PanelFileGroup[] {
  const files = (list: CorpusFileLists['train']) => list.map((f) => ({ path: f.path, note: `${compact(f.chars)} characters` }));
  const more = (n: number) => (n > 0 ? `and ${n.toLocaleString('en-US')} more` : '');
  const nTrain = l.train.length + l.trainMore, nVal = l.val.length + l.valMore;
  const groups: PanelFileGroup[] = [
    { kind: 'train', title: `Trained on ${plural(nTrain, 'file')}${nTrain ? ` (${languageCounts(l.train.map((f) => f.path))}${l.trainMore ? ', of the first listed' : ''})` : ''}`,
      items: files(l.train), more: more(l.trainMore) },
    { kind: 'val', title: nVal ? `Held out for validation: ${plural(nVal, 'file')} (never trained on)` : 'Held out for validation: none (a single file is trained on whole)',
      items: files(l.val), more: more(l.valMore) },
  ];
  const skipped = l.skipped.reduce((a, s) => a + s.count, 0);
  if (skipped > 0) {
    const items = l.skipped.flatMap((s) => s.examples.map((p) => ({ path: p, note: reasonOfOne(s) })));
    const unlisted = skipped - items.length;
    groups.push({
      kind: 'skipped', title: `Skipped: ${l.skipped.map((s) => `${s.count.toLocaleString('en-US')} ${s.label}`).join(', ')}`,
      items, more: more(unlisted),
    });
  }
  return groups;
}

/** A skip reason said of one path ("binary files" -> "binary file"). */
function reasonOfOne(s: CorpusFileLists['skipped'][number]): string {
  return SINGULAR[s.reason] ?? s.label;
}

const SINGULAR: Record<string, string> = {
  binary: 'binary (a NUL byte or not UTF-8)', minified: 'minified or generated', huge: 'over the size limit of a file', overBudget: 'past lstmLens.maxCorpusMB',
  empty: 'empty', duplicate: 'a duplicate of a file read before', unreadable: 'unreadable', vanished: 'vanished while being read',
  changed: 'changed while being read', notRegular: 'a special file (socket, FIFO or device)', symlinkLoop: 'a symlink loop', brokenLink: 'a broken symlink',
  ignored: 'ignored (.gitignore, files.exclude, lstmLens.include or the built-in rules)',
};
