// lstm-lens cells --model FILE <path...> [--raw] [--language L] [--json] [--top K] [--max-chars N]
//   -> {"cells":[{"label","layer","index","metric","score","sign","probe",...}, ...], "chars", "missing"}
// Finds the interpretable cells on the given (held-out) text and stores them in the model file's
// `cells` metadata (the file is rewritten atomically; nothing else in it changes).
import { discoverCells, type DiscoveredCell } from '../../cells/discover';
import { readCellTexts } from '../../cells/read-cell-texts';
import { storeCells } from '../../model-files/checkpoint-file';
import { loadModel } from '../../model-files/load-model';
import { pickKernels } from '../../runtime/kernels';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';

export const cellsOptions: OptionTable = {
  model: { kind: 'string' }, raw: { kind: 'flag' }, language: { kind: 'string' }, json: { kind: 'flag' },
  top: { kind: 'int', min: 1, max: 100 }, 'max-chars': { kind: 'int', min: 100 },
};

export async function cells(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, cellsOptions, 'cells');
  const modelPath = required<string>(p, 'model', 'cells');
  if (p.positionals.length === 0) throw new UsageError('lstm-lens cells needs at least one file or folder of held-out text to look at.');
  const { model, vocab } = loadModel(modelPath, pickKernels().kernels, 1, 1);
  const say = (m: string) => process.stderr.write(m + '\n');
  const texts = await readCellTexts(p.positionals, { raw: p.values.raw === true, language: p.values.language as string | undefined, onNotice: say });
  if (texts.length === 0) throw new Error('There is no text to look at in the given paths.');
  const t0 = Date.now();
  let lastShown = 0;
  const r = await discoverCells(model, vocab, texts, {
    top: p.values.top as number | undefined,
    maxChars: p.values['max-chars'] as number | undefined,
    onPhase: (phase) => say(phase === 'run' ? 'running the model over the text…' : phase === 'score' ? 'scoring every cell…' : 'fitting the probes…'),
    onProgress: (done, total) => {
      if (Date.now() - lastShown > 5000) { lastShown = Date.now(); say(`  ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} characters`); }
    },
  });
  if (r.dropped > 0) say(`looked at the first ${(r.chars.select + r.chars.score).toLocaleString('en-US')} characters; ${r.dropped.toLocaleString('en-US')} more were left out`);
  for (const m of r.missing) say(`not scored: ${m}`);
  storeCells(modelPath, r.cells);
  say(`stored ${r.cells.length} cells in ${modelPath} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  if (p.values.json) {
    process.stdout.write(JSON.stringify({ cells: r.cells, chars: r.chars, missing: r.missing, labels: r.labelSource }) + '\n');
  } else {
    process.stdout.write(table(r.cells, r.chars));
  }
  return 0;
}

function table(cells: DiscoveredCell[], chars: { select: number; score: number }): string {
  const f = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '   -' : x.toFixed(2));
  const lines = [`cells chosen on ${chars.select.toLocaleString('en-US')} characters, scored on the other ${chars.score.toLocaleString('en-US')}`,
    'label    cell      metric  score  inner  probe  floor  value   (inner: away from the delimiters; for indent, against the indentation level)'];
  for (const c of cells) {
    const inner = c.scoreInner ?? c.scoreLevel;
    lines.push(`${c.label.padEnd(8)} ${`${c.layer}:${c.index}`.padEnd(9)} ${(c.metric === 'auc' ? 'AUC' : '|r|').padEnd(6)}  ${f(c.score)}   ${f(inner)}   ${f(c.probe)}   ${f(c.floor)}  ${c.sign < 0 ? '−' : '+'}${c.variant}`);
  }
  return lines.join('\n') + '\n';
}
