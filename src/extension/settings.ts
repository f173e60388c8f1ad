// The lstmLens.* settings (documented in package.json contributes.configuration; defaults in
// src/defaults.ts), read into the shapes the training worker and the completion worker take.
// lstmLens.completions.enabled is language-overridable ("[python]": { "lstmLens.completions.enabled": false }),
// so completion settings are read for the document's language.
import * as vscode from 'vscode';
import { decodeSettings, DecodeSettings } from '../complete/decode-settings';
import { DEFAULTS } from '../defaults';
import type { CorpusSettings, RunSettings } from '../training/protocol';

export interface TrainingSettings {
  run: RunSettings;
  corpus: Omit<CorpusSettings, 'roots'>;
  budgetMs: number;
  /** lstmLens.saveIntervalSeconds (0: the interval the budget gives). */
  saveIntervalSeconds: number;
}

export function readTrainingSettings(scope?: vscode.ConfigurationScope): TrainingSettings {
  const c = vscode.workspace.getConfiguration('lstmLens', scope);
  const num = (key: string, def: number) => {
    const v = c.get<number>(key, def);
    return typeof v === 'number' && Number.isFinite(v) ? v : def;
  };
  const { model, training, corpus: files } = DEFAULTS;
  const run: RunSettings = {
    cell: c.get('cell', model.cell),
    layers: num('layers', model.layers),
    hidden: num('hiddenSize', model.hidden),
    dropout: num('dropout', model.dropout),
    seqLength: num('sequenceLength', training.seqLength),
    batchSize: num('batchSize', training.batchSize),
    optimizer: c.get('optimizer', training.optimizer),
    learningRate: num('learningRate', training.learningRate),
    threads: num('threads', training.editorThreads),
    seed: training.seed,
  };
  const maxCorpusMB = num('maxCorpusMB', files.editorMaxMB);
  const corpus: Omit<CorpusSettings, 'roots'> = {
    include: resolveInclude(c.get<string[]>('include', [])),
    extraIgnore: filesExcludeAsIgnore(scope),
    maxFileBytes: files.maxFileBytes,
    maxTotalBytes: Math.round(maxCorpusMB * 1024 * 1024),
    valFraction: files.valFraction,
    seed: files.splitSeed,
  };
  return {
    run, corpus, budgetMs: Math.round(num('timeBudgetMinutes', training.minutes) * 60_000),
    saveIntervalSeconds: num('saveIntervalSeconds', DEFAULTS.intervals.editorSaveSeconds),
  };
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

export interface CompletionUserSettings {
  /** On for this document's language. */
  enabled: boolean;
  decode: DecodeSettings;
  /** Completions offered when the user asks explicitly (Alt+\ or the trigger command). */
  explicitAlternatives: number;
  /** Wait after a keystroke before asking the worker (a newer keystroke cancels it). */
  debounceMs: number;
}

export function readCompletionSettings(doc?: vscode.TextDocument): CompletionUserSettings {
  const c = vscode.workspace.getConfiguration('lstmLens.completions', doc ? { uri: doc.uri, languageId: doc.languageId } : undefined);
  const num = (key: string, def: number) => {
    const v = c.get<number>(key, def);
    return typeof v === 'number' && Number.isFinite(v) ? v : def;
  };
  const decode = decodeSettings({
    component: c.get('component'), strategy: c.get('decoding'), beamWidth: c.get('beamWidth'), scope: c.get('scope'),
    maxChars: c.get('maxChars'), threshold: c.get('threshold'), alternatives: 1,
  });
  return {
    enabled: c.get<boolean>('enabled', DEFAULTS.completions.enabled) !== false,
    decode,
    explicitAlternatives: Math.max(1, Math.min(10, Math.round(num('alternatives', DEFAULTS.completions.explicitAlternatives)))),
    debounceMs: Math.max(0, Math.min(2000, num('debounceMs', DEFAULTS.completions.debounceMs))),
  };
}
