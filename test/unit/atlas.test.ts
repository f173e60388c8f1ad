// The cell atlas: features from the parse tree and the text, every cell scored against every
// feature (chosen on one half, scored on the other), and ablation with a held cell.
import { strict as assert } from 'node:assert';
import { collectActivations } from '../../src/cells/activations';
import { ablationEffect, runAblations } from '../../src/cells/atlas/ablation';
import { buildAtlas } from '../../src/cells/atlas/atlas';
import { extractFeatures, mergeSpans, type BinaryFeature, type NumericFeature } from '../../src/cells/atlas/features';
import { scoreAtlas } from '../../src/cells/atlas/score';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { paramLayout, view } from '../../src/engine/params';
import { Stepper } from '../../src/engine/stepper';
import { modelFromCheckpoint } from '../../src/model-files/load-model';
import { COLUMN_CELL, QUOTE_CELL, fixtureVocab, handBuiltCheckpoint, quoteHeavyCode } from '../fixtures/cells/hand-model';
import { auc, pearson } from '../../src/cells/stats';

const texts = () => [0, 1, 2, 3].map((i) => ({ text: quoteHeavyCode(120, 20 + i), languageId: 'javascript', header: `==> f${i}.js <==\n` }));

describe('cell atlas', function () {
  this.timeout(120_000);

  it('features: the node types a character sits inside, fields, after-keyword spans, numeric values', async () => {
    const { model, vocab } = modelFromCheckpoint(handBuiltCheckpoint(), createRefKernels(), 1, 1);
    const text = 'if (a === "x") {\n  return b(1, "y");\n}\n';
    const a = await collectActivations(model, vocab, [{ text, languageId: 'javascript' }]);
    const f = await extractFeatures(a, [{ text, languageId: 'javascript' }]);
    const bin = (name: string) => f.find((x): x is BinaryFeature => x.kind === 'binary' && (x.name === name || !!x.aliases?.includes(name)));
    const chars = (name: string) => { const s = bin(name)!.spans; let out = ''; for (let j = 0; j < s.length; j += 2) out += `[${text.slice(s[j], s[j + 1])}]`; return out; };
    assert.equal(chars('string'), '["x"]["y"]');
    assert.equal(chars('if_statement.condition'), '[(a === "x")]');
    assert.equal(chars('if-condition'), '[(a === "x")]', 'the labels\' if-condition is the same characters, an alias');
    assert.equal(chars('arguments'), '[(1, "y")]');
    assert.equal(chars('after return'), '[ b(1, "y");]');
    assert.equal(chars('statement_block'), '[{\n  return b(1, "y");\n}]');
    const num = (name: string) => f.find((x): x is NumericFeature => x.kind === 'numeric' && x.name === name)!.values;
    const at = (s: string) => text.indexOf(s);
    assert.equal(num('column')[at('return')], 2);
    assert.equal(num('line_length')[at('return')], '  return b(1, "y");'.length);
    assert.equal(num('to_line_end')[at('return')], '  return b(1, "y");'.length - 2);
    assert.equal(num('bracket_depth')[at('1,')], 2, 'inside { and (');
    assert.equal(num('bracket_depth')[at('"x"') + 1], 1, 'a string holds no brackets of its own; inside (');
    assert.ok(num('tree_depth')[at('1,')] > num('tree_depth')[at('if')]);
  });

  it('merges nested and overlapping spans of one feature', () => {
    assert.deepEqual([...mergeSpans([5, 9, 0, 3, 6, 7, 2, 4, 12, 13])], [0, 4, 5, 9, 12, 13]);
  });

  it('scores spans as the per-character AUC and r would, chosen on one half and scored on the other', async () => {
    const { model, vocab } = modelFromCheckpoint(handBuiltCheckpoint(), createRefKernels(), 1, 1);
    const t = texts();
    const a = await collectActivations(model, vocab, t);
    const f = await extractFeatures(a, t);
    const split = Math.floor(a.n / 2);
    const s = scoreAtlas(a, f, split);
    // brute force for the string feature and the quote cell on the scoring half
    const string = f.find((x): x is BinaryFeature => x.kind === 'binary' && x.name === 'string')!;
    const mask = new Uint8Array(a.n);
    for (let j = 0; j < string.spans.length; j += 2) mask.fill(1, string.spans[j], string.spans[j + 1]);
    const entry = s.features.find((e) => e.feature === 'string')!;
    assert.deepEqual([entry.layer, entry.index, entry.sign, entry.metric], [0, QUOTE_CELL, 1, 'auc'], JSON.stringify(entry));
    const d = entry.layer * a.hidden + entry.index;
    const want = auc(a.acts.slice(d * a.n + split, (d + 1) * a.n), mask.subarray(split));
    assert.ok(Math.abs(entry.score - want) < 1e-3, `${entry.score} vs ${want}`);
    const col = s.features.find((e) => e.feature === 'column')!;
    assert.deepEqual([col.layer, col.index, col.sign, col.metric], [0, COLUMN_CELL, 1, 'r'], JSON.stringify(col));
    const cd = col.layer * a.hidden + col.index;
    const x = a.acts.slice(cd * a.n + split, (cd + 1) * a.n), y = a.column.slice(split);
    const r = pearson(col.variant === 'tanh' ? x.map(Math.tanh) : x, y);
    assert.ok(Math.abs(col.score - r) < 1e-3, `${col.score} vs ${r}`);
    // best first, one entry per feature; one explanation per cell
    for (let i = 1; i < s.features.length; i++) assert.ok(s.features[i - 1].score >= s.features[i].score);
    assert.equal(new Set(s.features.map((e) => e.feature)).size, s.features.length);
    assert.equal(s.cells.length, a.d);
    assert.equal(new Set(s.cells.map((c) => `${c.layer}:${c.index}`)).size, a.d);
    const quoteCell = s.cells.find((c) => c.layer === 0 && c.index === QUOTE_CELL)!;
    assert.ok(['string', 'quote', 'string_fragment'].includes(quoteCell.feature), JSON.stringify(quoteCell));
  });

  it('a held cell is held: c stays at the value and h = o·tanh(value); lifting it restores the model', () => {
    const { model } = modelFromCheckpoint(handBuiltCheckpoint({ layers: 1 }), createRefKernels(), 1, 1);
    const ids = Int32Array.from({ length: 50 }, (_, i) => (i * 7) % 90);
    const free = new Stepper(model), held = new Stepper(model);
    held.setClamp({ layer: 0, index: 3, value: 0.25 });
    for (const id of ids) {
      free.feed(id); held.feed(id);
      assert.equal(held.cell(0)[3], 0.25);
      const o = held.gates(0)[3 * 16 + 3];
      assert.ok(Math.abs(held.hidden(0)[3] - o * Math.tanh(0.25)) < 1e-6);
    }
    assert.throws(() => held.primeLayerwise(ids), /one character at a time/);
    assert.throws(() => held.setClamp({ layer: 1, index: 0, value: 0 }), /no cell 1:0 in a 1×16 model/);
    held.setClamp(undefined);
    held.loadState(free.saveState());
    held.feed(5); free.feed(5);
    assert.deepEqual(Array.from(held.logits()), Array.from(free.logits()));
  });

  it('ablation: a cell the model reads inside strings costs bits inside strings, little outside', async () => {
    // One layer; the decoder predicts `x` from the quote cell alone: likely inside strings, unlikely outside.
    const ck = handBuiltCheckpoint({ layers: 1 });
    const vocab = fixtureVocab();
    const lay = paramLayout(ck.config);
    const dec = view(ck.params, lay.decoderWeight), decB = view(ck.params, lay.decoderBias);
    dec.fill(0); decB.fill(0);
    const x = vocab.indexOf('x'), H = ck.config.hidden;
    dec[x * H + QUOTE_CELL] = 6;
    const { model, vocab: v } = modelFromCheckpoint(ck, createRefKernels(), 1, 1);
    const text = Array.from({ length: 200 }, (_, i) => (i % 3 === 0 ? 'a = "xxxxxxxx";\n' : 'b = c + d;\n')).join('');
    const t = [{ text, languageId: 'javascript' }];
    const a = await collectActivations(model, v, t);
    const f = await extractFeatures(a, t);
    const string = f.find((q): q is BinaryFeature => q.kind === 'binary' && q.name === 'string')!;
    const run = await runAblations(model, a, 0, a.n, [{ layer: 0, index: QUOTE_CELL }, { layer: 0, index: 2 }], 'mean');
    const quote = ablationEffect(run, string, { layer: 0, index: QUOTE_CELL })!;
    const inside = quote.inside_bits!, outside = quote.outside_bits!;
    assert.ok(inside > 1, `inside ${inside}`);
    assert.ok(inside > 4 * Math.abs(outside), JSON.stringify(quote));
    assert.equal(quote.inside_chars + quote.outside_chars, a.n);
    // a cell the decoder never reads (and the quote cell does not either) costs nothing
    const other = ablationEffect(run, string, { layer: 0, index: 2 })!;
    assert.ok(Math.abs(other.inside_bits!) < 1e-3 && Math.abs(other.outside_bits!) < 1e-3, JSON.stringify(other));
    // a stretch with no character inside the feature says so (null), not NaN
    const none = ablationEffect({ ...run, end: run.start + text.indexOf('"') }, string, { layer: 0, index: QUOTE_CELL })!;
    assert.equal(none.inside_bits, null);
    assert.equal(none.inside_chars, 0);
  });

  it('buildAtlas: one entry per feature, best first, the best ones ablated', async () => {
    const { model, vocab } = modelFromCheckpoint(handBuiltCheckpoint(), createRefKernels(), 1, 1);
    const atlas = await buildAtlas(model, vocab, texts(), { ablationChars: 2000, ablationFeatures: 5 });
    assert.ok(atlas.features.length > 10, `${atlas.features.length} features`);
    for (let i = 1; i < atlas.features.length; i++) assert.ok(atlas.features[i - 1].score >= atlas.features[i].score);
    assert.deepEqual(atlas.features.slice(0, 5).map((e) => e.ablation !== undefined), [true, true, true, true, true]);
    assert.ok(atlas.features.slice(5).every((e) => e.ablation === undefined));
    assert.equal(atlas.ablation!.chars, 2000);
    assert.ok(atlas.chars.select > 1000 && atlas.chars.score > 1000);
  });
});

describe('a cell low inside its feature', () => {
  it('discovery gives it sign −1 and the panel lists it with that sign, one entry per cell with all its labels', async function () {
    this.timeout(60_000);
    const { discoverCells } = await import('../../src/cells/discover');
    const { groupCells, describeEntry } = await import('../../src/cells/cell-list');
    const { model, vocab } = modelFromCheckpoint(handBuiltCheckpoint({ quoteLow: true }), createRefKernels(), 1, 1);
    const r = await discoverCells(model, vocab, texts());
    const quote = r.cells.find((c) => c.label === 'quote')!;
    assert.deepEqual([quote.layer, quote.index, quote.sign], [0, QUOTE_CELL, -1], JSON.stringify(quote));
    assert.ok(quote.score > 0.9, String(quote.score));
    const entries = groupCells(r.cells);
    assert.equal(new Set(entries.map((e) => `${e.layer}:${e.index}`)).size, entries.length, 'one entry per cell');
    assert.equal(entries.reduce((n, e) => n + e.labels.length, 0), r.cells.length, 'every label kept');
    for (let i = 1; i < entries.length; i++) assert.ok(entries[i - 1].labels[0].score >= entries[i].labels[0].score, 'best first');
    const q = entries.find((e) => e.layer === 0 && e.index === QUOTE_CELL)!;
    assert.equal(q.sign, q.labels[0].sign);
    assert.match(describeEntry(q), /^layer 0, #5: .*quote AUC (0\.\d\d|1\.00)/, describeEntry(q));
  });
});
