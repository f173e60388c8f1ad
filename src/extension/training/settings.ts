// The lstmLens.* settings (documented in package.json contributes.configuration), read into
// the shapes the training worker takes.
import * as vscode from 'vscode';
import type { CorpusSettings, RunSettings } from '../../training/protocol';

export interface TrainingSettings {
  run: RunSettings;
  corpus: Omit<CorpusSettings, 'roots'>;
  budgetMs: number;
}

export function readTrainingSettings(scope?: vscode.ConfigurationScope): TrainingSettings {
  const c = vscode.workspace.getConfiguration('lstmLens', scope);
  const num = (key: string, def: number) => {
    const v = c.get<number>(key, def);
    return typeof v === 'number' && Number.isFinite(v) ? v : def;
  };
  const run: RunSettings = {
    cell: c.get('cell', 'lstm'),
    layers: num('layers', 2),
    hidden: num('hiddenSize', 256),
    dropout: num('dropout', 0),
    seqLength: num('sequenceLength', 64),
    batchSize: num('batchSize', 32),
    optimizer: c.get('optimizer', 'adam'),
    learningRate: num('learningRate', 0.002),
    threads: num('threads', 1),
    seed: 1,
  };
  const maxCorpusMB = num('maxCorpusMB', 8);
  const corpus: Omit<CorpusSettings, 'roots'> = {
    include: resolveInclude(c.get<string[]>('include', [])),
    extraIgnore: filesExcludeAsIgnore(scope),
    maxFileBytes: 1024 * 1024,
    maxTotalBytes: Math.round(maxCorpusMB * 1024 * 1024),
    valFraction: 0.1,
    seed: 1,
  };
  return { run, corpus, budgetMs: Math.round(num('timeBudgetMinutes', 15) * 60_000) };
}

/** VS Code's files.exclude (glob -> true) as gitignore-style patterns. Patterns with a `when`
 *  clause (sibling conditions) have no gitignore equivalent and are left out. */
export function filesExcludeAsIgnore(scope?: vscode.ConfigurationScope): string[] {
  const exclude = vscode.workspace.getConfiguration('files', scope).get<Record<string, unknown>>('exclude', {});
  return Object.entries(exclude ?? {})
    .filter(([, v]) => v === true)
    .map(([glob]) => glob.replace(/^\.\//, '').replace(/^\*\*\//, '**/'));
}

/** lstmLens.include entries as globs: a language id ("python") becomes the file extensions and
 *  names that installed extensions declare for it ("*.py", ...); anything else is a glob. */
export function resolveInclude(entries: unknown[]): string[] {
  const out: string[] = [];
  for (const e of entries) {
    if (typeof e !== 'string' || e.trim() === '') continue;
    const entry = e.trim();
    const globs = /^[\w+#-]+$/.test(entry) ? languageGlobs(entry) : [];
    out.push(...(globs.length ? globs : [entry]));
  }
  return out;
}

interface LanguageContribution { id?: string; extensions?: string[]; filenames?: string[]; filenamePatterns?: string[] }

function languageGlobs(languageId: string): string[] {
  const globs = new Set<string>();
  for (const ext of vscode.extensions.all) {
    const langs = (ext.packageJSON?.contributes?.languages ?? []) as LanguageContribution[];
    for (const l of langs) {
      if (l.id !== languageId) continue;
      for (const x of l.extensions ?? []) globs.add(`*${x}`);
      for (const f of l.filenames ?? []) globs.add(f);
      for (const p of l.filenamePatterns ?? []) globs.add(p);
    }
  }
  return [...globs];
}
