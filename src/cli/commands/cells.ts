// lstm-lens cells --model FILE <path...> [--raw] [--language L] [--json] [--top K] [--max-chars N]
//   -> {"cells":[{"label","layer","index","metric","score","sign","probe",...}, ...], "chars", "missing"}
// Finds the interpretable cells on the given (held-out) text and stores them in the model file's
// `cells` metadata (the file is rewritten atomically; nothing else in it changes).
//
// lstm-lens cells --model FILE <path...> --atlas [--json] [--ablate mean|zero|none] [--ablation-chars N]
//   -> {"features":[{"feature","layer","index","metric","score","sign","ablation":{"inside_bits","outside_bits"}}, ...], ...}
// The atlas: every feature of the code's syntax with the cell that tracks it best (atlas/);
// it reads the model and stores nothing.
import { buildAtlas, type Atlas } from '../../cells/atlas/atlas';
import { discoverCells, type DiscoveredCell } from '../../cells/discover';
import { readCellTexts } from '../../cells/read-cell-texts';
import { storeCells } from '../../model-files/checkpoint-file';
import { loadModel } from '../../model-files/load-model';
import { pickKernels } from '../../runtime/kernels';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';

export const cellsOptions: OptionTable = {
  model: { kind: 'string' }, raw: { kind: 'flag' }, language: { kind: 'string' }, json: { kind: 'flag' },
  top: { kind: 'int', min: 1, max: 100 }, 'max-chars': { kind: 'int', min: 100 },
  atlas: { kind: 'flag' }, ablate: { kind: 'string', choices: ['mean', 'zero', 'none'] }, 'ablation-chars': { kind: 'int', min: 100 },
};

export async function cells(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, cellsOptions, 'cells');
  const modelPath = required<string>(p, 'model', 'cells');
  if (p.positionals.length === 0) throw new UsageError('lstm-lens cells needs at least one file or folder of held-out text to look at.');
  if (p.values.atlas && p.values.top !== undefined) throw new UsageError('--top is for the cells list; the atlas lists every feature.');
  if (!p.values.atlas && (p.values.ablate !== undefined || p.values['ablation-chars'] !== undefined)) throw new UsageError('--ablate and --ablation-chars go with --atlas.');
  const { model, vocab } = loadModel(modelPath, pickKernels().kernels, 1, 1);
  const say = (m: string) => process.stderr.write(m + '\n');
  const texts = await readCellTexts(p.positionals, { raw: p.values.raw === true, language: p.values.language as string | undefined, onNotice: say });
  if (texts.length === 0) throw new Error('There is no text to look at in the given paths.');
  const t0 = Date.now();
  let lastShown = 0;
  if (p.values.atlas) {
    const atlas = await buildAtlas(model, vocab, texts, {
      maxChars: p.values['max-chars'] as number | undefined,
      ablate: p.values.ablate as 'mean' | 'zero' | 'none' | undefined,
      ablationChars: p.values['ablation-chars'] as number | undefined,
      onPhase: (phase) => say(phase === 'run' ? 'running the model over the text…' : phase === 'features' ? 'reading the syntax…'
        : phase === 'score' ? 'scoring every cell against every feature…' : 'ablating the best cells…'),
      onProgress: (done, total) => {
        if (Date.now() - lastShown > 5000) { lastShown = Date.now(); say(`  ${done.toLocaleString('en-US')} of ${total.toLocaleString('en-US')} characters`); }
      },
    });
    if (atlas.dropped > 0) say(`looked at the first ${(atlas.chars.select + atlas.chars.score).toLocaleString('en-US')} characters; ${atlas.dropped.toLocaleString('en-US')} more were left out`);
    say(`${atlas.features.length} features scored (${atlas.skipped} too rare or constant in a half) in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    process.stdout.write(p.values.json ? JSON.stringify(atlas) + '\n' : atlasTable(atlas));
    return 0;
  }
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

function atlasTable(atlas: Atlas): string {
  const f = (x: number | null | undefined, d = 2) => (x === undefined || x === null || !Number.isFinite(x) ? '    -' : x.toFixed(d).padStart(5));
  const ab = atlas.ablation;
  const lines = [`cells chosen on ${atlas.chars.select.toLocaleString('en-US')} characters, scored on the other ${atlas.chars.score.toLocaleString('en-US')}`
    + (ab ? `; ablation: cell held at its ${ab.clamp} over ${ab.chars.toLocaleString('en-US')} characters (${ab.baseBits.toFixed(3)} bits/char as trained)` : ''),
    `${'feature'.padEnd(40)} cell      metric score  sign  +bits inside  +bits outside`];
  for (const e of atlas.features) {
    lines.push(`${e.feature.slice(0, 40).padEnd(40)} ${`${e.layer}:${e.index}`.padEnd(9)} ${(e.metric === 'auc' ? 'AUC' : 'r').padEnd(6)} ${f(e.score)}  ${e.sign < 0 ? '−' : '+'}     ${f(e.ablation?.inside_bits, 3)}         ${f(e.ablation?.outside_bits, 3)}`);
  }
  return lines.join('\n') + '\n';
}
