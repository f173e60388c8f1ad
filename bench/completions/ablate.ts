// Why a decoder finishes fewer lines than the greedy KN 10-gram: the same tasks as
// completion_bench.py (its `tasks` file, targets included), answered by our Completer with one
// decoding rule changed at a time, scored as that tool scores (cut at "\n" and max_chars; exact
// rest of line, mean correct prefix). Each variant is one request-level choice, so the product
// code carries no switch for it:
//   shared    one engine for all requests, its overlay recounted every 2,000 characters of new
//             context per path (the CLI of de588ec)
//   fresh     each request alone: a new state cache, the warmed mixer put back, the overlay of
//             that request's own context
//   header    fresh, with the corpus' own file separator at a file start ("\x1c\n" when the
//             vocabulary has it) instead of the workspace header "==> path <=="
//   threshold a confidence cut in bits/char (inf: show every completion)
//   noleadws  decode's first-character rule at a blank line prefix (as this tree builds it)
//
//   npx tsx bench/completions/ablate.ts --model M.safetensors --tasks tasks.jsonl
//       [--component ngram|mixture|lstm] [--variants shared,fresh,...] [--threshold 1|inf] [--limit N]
// Prints one line per variant: exact, mean correct prefix, per kind.
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { Completer } from '../../src/complete/completer';
import { loadCompletionModel } from '../../src/complete/load';
import { warmMixer } from '../../src/complete/score';
import { decodeSettings } from '../../src/complete/decode-settings';
import { fileHeader } from '../../src/corpus/build';
import { pickKernels } from '../../src/runtime/kernels';

interface Task { id: number; kind: string; path: string; context: string; file_start: boolean; max_chars: number; target: string }

const v = parseArgs({ options: {
  model: { type: 'string' }, tasks: { type: 'string' }, component: { type: 'string' }, variants: { type: 'string' },
  threshold: { type: 'string' }, limit: { type: 'string' },
} }).values;
if (!v.model || !v.tasks) throw new Error('--model and --tasks are needed');
let tasks: Task[] = fs.readFileSync(v.tasks, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
if (v.limit) {
  const n = Number(v.limit);
  tasks = ['line_start', 'mid_line'].flatMap((k) => tasks.filter((t) => t.kind === k).slice(0, n));
}
const { model } = loadCompletionModel(v.model, pickKernels('auto').kernels);
const threshold = v.threshold === undefined ? undefined : v.threshold === 'inf' ? Infinity : Number(v.threshold);
const settings = decodeSettings({ component: v.component ?? 'mixture', threshold });
const hasSeparator = model.vocab.chars.includes('\x1c');

function lcp(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function score(answers: Map<number, string>): string {
  const part = (rows: Task[]) => {
    let exact = 0, pre = 0;
    for (const t of rows) {
      const c = (answers.get(t.id) ?? '').split('\n')[0].slice(0, t.max_chars);
      if (c === t.target) exact++;
      pre += lcp(c, t.target);
    }
    return `${(100 * exact / rows.length).toFixed(1)}% / ${(pre / rows.length).toFixed(2)}`;
  };
  return `all ${part(tasks)}   line_start ${part(tasks.filter((t) => t.kind === 'line_start'))}   mid_line ${part(tasks.filter((t) => t.kind === 'mid_line'))}`;
}

function run(variant: string): Map<number, string> {
  const out = new Map<number, string>();
  const base = warmMixer(model);
  const warm = base.snapshot();
  const engine = new Completer(model, { mixer: base });
  const overlayAt = new Map<string, number>();
  for (const t of tasks) {
    const shared = variant === 'shared';
    let header = fileHeader(t.path);
    if (variant === 'header') header = t.file_start && hasSeparator ? '\x1c\n' : t.file_start ? header : '';
    if (shared) {
      // the CLI of de588ec: the path's cache follows its text, the overlay every 2,000 characters
      engine.edit(t.path, 0, Number.MAX_SAFE_INTEGER, t.context.length);
    } else {
      engine.forget(t.path);
      base.restore(warm);
      if (settings.component !== 'lstm') { engine.cache.get(t.path); engine.refreshOverlay(t.path, t.context, header); }
    }
    const r = engine.complete({ docId: t.path, text: t.context, offset: t.context.length, header, settings });
    out.set(t.id, r.items[0]?.text ?? '');
    if (shared && settings.component !== 'lstm' && Math.abs(t.context.length - (overlayAt.get(t.path) ?? -Infinity)) >= 2000) {
      engine.refreshOverlay(t.path, t.context, header);
      overlayAt.set(t.path, t.context.length);
    }
  }
  return out;
}

for (const variant of (v.variants ?? 'shared,fresh,header').split(',')) {
  console.log(`${settings.component} ${variant.padEnd(8)} threshold ${settings.threshold}: ${score(run(variant))}`);
}
