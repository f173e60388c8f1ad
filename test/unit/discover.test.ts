// Cell discovery: the scoring helpers against hand-computed values, the probes on data with a
// known answer, and discovery on a hand-built model whose quote and column cells we set.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import * as esbuild from 'esbuild';
import { auc, aucFromOrder, pearson, PearsonSums, sortOrder } from '../../src/cells/stats';
import { DenseDesign, OneHotDesign, fitProbe, scoreProbe } from '../../src/cells/probe';
import { discoverCells } from '../../src/cells/discover';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { modelFromCheckpoint } from '../../src/model-files/load-model';
import { Rng } from '../../src/engine/rng';
import { CharRNN } from '../../src/engine/model';
import { Stepper } from '../../src/engine/stepper';
import { BlockTracer } from '../../src/cells/block-tracer';
import { DocAnalyzer } from '../../src/cells/doc-analysis';
import { traceCells } from '../../src/cells/trace';
import { loadCheckpoint, saveCheckpoint } from '../../src/model-files/checkpoint-file';
import type { InferReply, InferRequest } from '../../src/cells/protocol';
import { BINS, binColor, binOf } from '../../src/extension/cells/panel-messages';
import { cellsPanelHtml } from '../../src/extension/cells/html';
import { panelStylesheets } from '../../src/extension/webview-page';
import { codePointLength, codePointLineStarts, commonPrefixCodePoints } from '../../src/extension/cells/text';
import { COLUMN_CELL, QUOTE_CELL, handBuiltCheckpoint, quoteHeavyCode } from '../fixtures/cells/hand-model';

const f32 = (a: number[]) => Float32Array.from(a);
const u8 = (a: number[]) => Uint8Array.from(a);

describe('AUC and Pearson r', () => {
  it('computes AUC as the share of (positive, negative) pairs ranked right', () => {
    // positives 0.35, 0.8 against negatives 0.1, 0.4: 3 of 4 pairs right
    assert.equal(auc(f32([0.1, 0.4, 0.35, 0.8]), u8([0, 0, 1, 1])), 0.75);
    assert.equal(auc(f32([3, 2, 1]), u8([1, 0, 0])), 1);
    assert.equal(auc(f32([3, 2, 1]), u8([0, 0, 1])), 0);
  });

  it('counts ties as half and orders negative numbers right', () => {
    // positives {1, 2}, negative {1}: a tie (0.5) and a win (1) over 2 pairs
    assert.equal(auc(f32([1, 1, 2]), u8([0, 1, 1])), 0.75);
    assert.equal(auc(f32([-3, -0.5, 0, 2.5]), u8([0, 0, 1, 1])), 1);
    assert.equal(auc(f32([-0, 0, 0]), u8([1, 0, 1])), 0.5, '-0 ties with +0');
    assert.ok(Number.isNaN(auc(f32([1, 2]), u8([1, 1]))), 'one class only: NaN');
  });

  it('scores a subset of characters from one sort', () => {
    const x = f32([0.9, 0.1, 0.8, 0.2, 0.95]);
    const { order, tieStart } = sortOrder(x);
    assert.deepEqual([...order], [1, 3, 2, 0, 4]);
    // without index 4 (a "delimiter"): positives 0.9, 0.8 over negatives 0.1, 0.2
    assert.equal(aucFromOrder(order, tieStart, u8([1, 0, 1, 0, 0]), u8([1, 1, 1, 1, 0])), 1);
    // with it, as a negative above both positives: 4 of 6 pairs
    assert.equal(aucFromOrder(order, tieStart, u8([1, 0, 1, 0, 0])), 4 / 6);
  });

  it('agrees with a brute-force AUC on random data with ties', () => {
    const rng = new Rng(11);
    const n = 500;
    const x = new Float32Array(n), y = new Uint8Array(n);
    for (let i = 0; i < n; i++) { x[i] = Math.round(rng.next() * 20) - 10; y[i] = rng.next() < 0.3 + 0.02 * x[i] ? 1 : 0; }
    let wins = 0, pairs = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) {
      if (y[i] && !y[j]) { pairs++; wins += x[i] > x[j] ? 1 : x[i] === x[j] ? 0.5 : 0; }
    }
    assert.ok(Math.abs(auc(x, y) - wins / pairs) < 1e-12);
  });

  it('computes Pearson r, in one pass and in two', () => {
    // x 1,2,3 against y 2,4,7: cov 5, var 2 and 114/9
    const want = 5 / Math.sqrt(2 * 114 / 9);
    assert.ok(Math.abs(pearson([1, 2, 3], [2, 4, 7]) - want) < 1e-12);
    const s = new PearsonSums();
    [[1, 2], [2, 4], [3, 7]].forEach(([a, b]) => s.add(a, b));
    assert.ok(Math.abs(s.r() - want) < 1e-9);
    assert.ok(Math.abs(pearson([1, 2, 3], [3, 2, 1]) + 1) < 1e-12);
    assert.ok(Number.isNaN(pearson([1, 1, 1], [1, 2, 3])));
  });
});

describe('linear probes', () => {
  it('logistic regression separates a label that is linear in two features, ridge recovers a linear target', () => {
    const rng = new Rng(5);
    const n = 2000, d = 6;
    const x = new Float32Array(n * d), y = new Float64Array(n), t = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < d; j++) x[i * d + j] = rng.uniform(-1, 1);
      y[i] = x[i * d + 1] - 0.5 * x[i * d + 4] > 0.1 ? 1 : 0;
      t[i] = 3 * x[i * d + 2] + 10 + 0.05 * rng.uniform(-1, 1);
    }
    const half = n / 2;
    const A = new DenseDesign(x.subarray(0, half * d), half, d), B = new DenseDesign(x.subarray(half * d), half, d);
    const logistic = scoreProbe(fitProbe(A, y.subarray(0, half), 'logistic'), B, y.subarray(half));
    const ridge = scoreProbe(fitProbe(A, t.subarray(0, half), 'ridge'), B, t.subarray(half));
    assert.ok(logistic > 0.99, `logistic AUC ${logistic}`);
    assert.ok(ridge > 0.99, `ridge |r| ${ridge}`);
    // and a label unrelated to the features stays near chance
    const noise = Float64Array.from({ length: n }, () => (rng.next() < 0.5 ? 1 : 0));
    const chance = scoreProbe(fitProbe(A, noise.subarray(0, half), 'logistic'), B, noise.subarray(half));
    assert.ok(Math.abs(chance - 0.5) < 0.08, `noise AUC ${chance}`);
  });

  it('a one-hot probe learns which symbol sits in a window slot', () => {
    const rng = new Rng(9);
    const n = 1000, k = 3, V = 5;
    const idx = new Int32Array(n * k), y = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < k; j++) idx[i * k + j] = j * V + Math.floor(rng.next() * V);
      y[i] = idx[i * k + 1] === V + 2 ? 1 : 0;   // slot 1 holds symbol 2
    }
    const A = new OneHotDesign(idx.subarray(0, 500 * k), 500, k, k * V), B = new OneHotDesign(idx.subarray(500 * k), 500, k, k * V);
    assert.ok(scoreProbe(fitProbe(A, y.subarray(0, 500), 'logistic'), B, y.subarray(500)) > 0.99);
  });
});

describe('cell discovery on a hand-built model', () => {
  it('finds the quote cell and the column cell it was built with, scored on the held-out half', async function () {
    this.timeout(60_000);
    const ck = handBuiltCheckpoint();
    const { model, vocab } = modelFromCheckpoint(ck, createRefKernels(), 1, 1);
    const texts = [0, 1, 2, 3].map((i) => ({ text: quoteHeavyCode(120, 20 + i), languageId: 'javascript', header: `==> f${i}.js <==\n` }));
    const r = await discoverCells(model, vocab, texts);
    const best = (label: string) => r.cells.find((c) => c.label === label)!;

    const quote = best('quote');
    assert.deepEqual([quote.layer, quote.index, quote.sign], [0, QUOTE_CELL, 1], JSON.stringify(quote));
    assert.ok(quote.score > 0.9, `quote AUC on the held-out half ${quote.score}`);
    assert.ok(quote.scoreInner! > 0.95, `quote AUC away from the quote marks ${quote.scoreInner}`);
    assert.equal(quote.metric, 'auc');

    const column = best('column');
    assert.deepEqual([column.layer, column.index, column.sign], [0, COLUMN_CELL, 1], JSON.stringify(column));
    // not 1: the cell restarts on the line break, which the labels count as the end of its line
    assert.ok(column.score > 0.8, `column r ${column.score}`);
    assert.equal(column.metric, 'r');

    // every label got cells, best first, each with a probe (ceiling) and a floor
    for (const label of ['quote', 'comment', 'if', 'indent', 'column']) {
      const cs = r.cells.filter((c) => c.label === label);
      assert.equal(cs.length, 5, label);
      for (let i = 1; i < cs.length; i++) assert.ok(cs[i - 1].score >= cs[i].score, `${label} listed best first by the held-out score`);
      assert.ok(cs[0].probe >= 0 && cs[0].probe <= 1 && cs[0].floor >= 0 && cs[0].floor <= 1, JSON.stringify(cs[0]));
    }
    // the probe over all cells sees the quote cell too; the 8-character window cannot track a string
    assert.ok(quote.probe > 0.9, `quote probe ${quote.probe}`);
    assert.ok(quote.floor < quote.probe, `floor ${quote.floor} below the probe ${quote.probe}`);
    assert.ok(r.chars.select > 1000 && r.chars.score > 1000, JSON.stringify(r.chars));
    assert.deepEqual(r.missing, []);
    assert.equal(r.labelSource, 'tree-sitter');
  });

  it('reports a label it cannot score instead of inventing a cell', async () => {
    const { model, vocab } = modelFromCheckpoint(handBuiltCheckpoint(), createRefKernels(), 1, 1);
    const text = 'let a = "x" + b;\nlet c = "y";\n'.repeat(40);   // no comments, no ifs
    const r = await discoverCells(model, vocab, [{ text, languageId: 'javascript' }]);
    assert.ok(r.missing.some((m) => m.startsWith('comment:')), r.missing.join('; '));
    assert.ok(r.missing.some((m) => m.startsWith('if:')), r.missing.join('; '));
    assert.ok(!r.cells.some((c) => c.label === 'comment' || c.label === 'if'));
    assert.ok(r.cells.some((c) => c.label === 'quote'));
  });

  it('keeps within the cap on activations', async () => {
    const { model, vocab } = modelFromCheckpoint(handBuiltCheckpoint(), createRefKernels(), 1, 1);
    const text = quoteHeavyCode(200);
    const r = await discoverCells(model, vocab, [{ text, languageId: 'javascript' }], { maxChars: 3000 });
    assert.equal(r.chars.select + r.chars.score, 3000);
    assert.equal(r.dropped, [...text].length - 3000);
  });
});

describe('traces for the panel: block tracer, document analysis, inference worker', () => {
  const header = '==> src/a.js <==\n';
  const setup = () => modelFromCheckpoint(handBuiltCheckpoint(), createRefKernels(), 1, 1);
  const cells = [{ layer: 0, index: QUOTE_CELL }, { layer: 1, index: 3 }];

  it('the block tracer gives the same values as feeding a Stepper, and counts saturated gates', () => {
    const { model, vocab } = setup();
    const ids = vocab.encode(header + quoteHeavyCode(40));
    const want = traceCells(new Stepper(model), ids, cells, 5);
    const tracer = new BlockTracer(model);
    const got = cells.map(() => new Float32Array(ids.length - 5));
    const gates = tracer.newGateCounts();
    tracer.run(ids, 0, ids.length, cells, got, 5, gates);
    for (let k = 0; k < cells.length; k++) for (let i = 0; i < got[k].length; i++) assert.ok(Math.abs(got[k][i] - want[k][i]) < 1e-5, `cell ${k} at ${i}`);
    assert.equal(gates.steps, ids.length);
    // the quote cell's output gate is set to +20: always above 0.9 (layer 0, gate 'output' = third, unit QUOTE_CELL)
    const H = model.config.hidden;
    assert.equal(gates.high[(0 * 3 + 2) * H + QUOTE_CELL], ids.length);
    assert.equal(gates.low[(0 * 3 + 2) * H + QUOTE_CELL], 0);
  });

  it('the block tracer paints h for a GRU and an RNN, as the Stepper does', () => {
    for (const cell of ['gru', 'rnn'] as const) {
      const m = new CharRNN({ cell, layers: 2, hidden: 8, vocabSize: 98, dropout: 0 }, createRefKernels(), 1, 1);
      m.initParams(new Rng(3));
      const ids = Int32Array.from({ length: 600 }, (_, i) => (i * 13) % 98);
      const want = traceCells(new Stepper(m), ids, [{ layer: 1, index: 2 }]);
      const got = [new Float32Array(600)];
      const tracer = new BlockTracer(m);
      const gates = tracer.newGateCounts();
      tracer.run(ids, 0, 600, [{ layer: 1, index: 2 }], got, 0, gates);
      for (let i = 0; i < 600; i++) assert.ok(Math.abs(got[0][i] - want[0][i]) < 1e-5, `${cell} at ${i}`);
      assert.equal(gates.low.length, cell === 'gru' ? 2 * 2 * 8 : 0);
    }
  });

  it('analyzes a document, then after an edit near its end reruns only the blocks from the edit on', async () => {
    const { model, vocab } = setup();
    const sent: { start: number; n: number; exact: boolean; version: number }[] = [];
    const progress: number[] = [];
    const an = new DocAnalyzer(model, vocab, {
      values: (m) => sent.push({ start: m.start, n: m.values[0].length, exact: m.exact, version: m.version }),
      progress: (m) => progress.push(m.exactUpTo),
    });
    const text = quoteHeavyCode(150);
    const n = [...text].length;
    assert.equal(await an.analyze({ doc: 'a', version: 1, header, text, cells, focus: [0, 500] }), 'done');
    const fresh = (t: string) => traceCells(new Stepper(model), vocab.encode(header + t), cells, [...header].length);
    const check = (t: string) => {
      const want = fresh(t);
      const got = (an as unknown as { run: { values: Float32Array[] } }).run.values;
      for (let k = 0; k < cells.length; k++) for (let i = 0; i < want[k].length; i++) assert.ok(Math.abs(got[k][i] - want[k][i]) < 1e-5, `cell ${k} at ${i}`);
    };
    check(text);
    assert.equal(progress[progress.length - 1], n);
    assert.ok(sent.every((s) => s.exact) && sent.reduce((a, s) => a + s.n, 0) === n, 'every character sent once, exactly');

    // an edit 100 characters before the end: the first message re-sends the unchanged prefix at once
    sent.length = 0;
    const edited = text.slice(0, text.length - 100) + 'x = "new";' + text.slice(text.length - 100);
    await an.analyze({ doc: 'a', version: 2, header, text: edited, cells, focus: [0, 500] });
    check(edited);
    assert.equal(sent[0].start, 0);
    assert.ok(sent[0].n > n - 100 - 2 * 256, `kept ${sent[0].n} of ${n}`);
    assert.ok(sent.slice(1).reduce((a, s) => a + s.n, 0) < 2 * 256 + 200, 'only the last blocks computed again');
  });

  it('paints the range in view first when it is far down, and only that range past the exact limit', async () => {
    const { model, vocab } = setup();
    const sent: { start: number; exact: boolean }[] = [];
    const an = new DocAnalyzer(model, vocab, { values: (m) => sent.push({ start: m.start, exact: m.exact }), progress: () => {} });
    const text = quoteHeavyCode(400);
    const n = [...text].length;
    await an.analyze({ doc: 'b', version: 1, header, text, cells, focus: [n - 800, n - 100] });
    assert.deepEqual(sent[0], { start: n - 800, exact: false }, 'the window first');
    assert.ok(sent.slice(1).every((s) => s.exact));

    sent.length = 0;
    const small = new DocAnalyzer(model, vocab, { values: (m) => sent.push({ start: m.start, exact: m.exact }), progress: () => {} }, { exactLimit: 1000 });
    assert.equal(await small.analyze({ doc: 'c', version: 1, header, text, cells, focus: [5000, 5600] }), 'window-only');
    assert.deepEqual(sent, [{ start: 5000, exact: false }]);
    small.focus('c', 1, [9000, 9100]);
    assert.deepEqual(sent[1], { start: 9000, exact: false });
  });

  it('gives the model\'s five likeliest next characters and the gate saturation of the document', async () => {
    const { model, vocab } = setup();
    const an = new DocAnalyzer(model, vocab, { values: () => {}, progress: () => {} });
    const text = quoteHeavyCode(60);
    await an.analyze({ doc: 'd', version: 1, header, text, cells, focus: [0, 100] });
    const top = an.guesses('d', 300);
    assert.equal(top.length, 5);
    for (let i = 1; i < 5; i++) assert.ok(top[i - 1].p >= top[i].p);
    // the same as a Stepper fed the header and text up to and including position 300
    const st = new Stepper(model);
    st.primeLayerwise(vocab.encode(header + [...text].slice(0, 301).join('')));
    const p = st.probs();
    assert.ok(Math.abs(p[vocab.idOf(top[0].ch)] - top[0].p) < 1e-5);
    const g = an.gates('d')!;
    assert.equal(g.steps, [...header + text].length);
    assert.deepEqual(g.layers.map((l) => l.gates.map((x) => x.name)), [['input', 'forget', 'output'], ['input', 'forget', 'output']]);
    for (const l of g.layers) for (const x of l.gates) for (let u = 0; u < x.low.length; u++) assert.ok(x.low[u] >= 0 && x.high[u] >= 0 && x.low[u] + x.high[u] <= 1 + 1e-6);
    assert.equal(g.layers[0].gates[2].high[QUOTE_CELL], 1);
  });

  it('the inference worker answers over worker_threads: load, analyze, guesses, discover (stored in the model)', async function () {
    this.timeout(120_000);
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-infer-'));
    try {
      const workerPath = path.join(tmp, 'cells-worker.js');
      await esbuild.build({ entryPoints: [path.join(__dirname, '../../src/cells/worker.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: workerPath, logLevel: 'warning' });
      const ws = path.join(tmp, 'ws');
      fs.mkdirSync(ws);
      for (let i = 0; i < 12; i++) fs.writeFileSync(path.join(ws, `f${i}.js`), quoteHeavyCode(60, 70 + i));
      const modelPath = path.join(tmp, 'model.safetensors');
      saveCheckpoint(modelPath, handBuiltCheckpoint());
      const replies: InferReply[] = [];
      const w = new Worker(workerPath);
      w.on('message', (m: InferReply) => replies.push(m));
      const waitFor = async <T extends InferReply['type']>(type: T) => {
        const end = Date.now() + 90_000;
        for (;;) {
          const i = replies.findIndex((r) => r.type === type);
          if (i >= 0) return replies.splice(i, 1)[0] as Extract<InferReply, { type: T }>;
          if (Date.now() > end) throw new Error(`no ${type} reply: ${JSON.stringify(replies.slice(-3))}`);
          await new Promise((r) => setTimeout(r, 20));
        }
      };
      try {
        const send = (m: InferRequest) => w.postMessage(m);
        send({ type: 'load', checkpointPath: modelPath });
        const loaded = await waitFor('loaded');
        assert.deepEqual([loaded.model.layers, loaded.model.hidden, loaded.model.cells.length], [2, 16, 0]);
        const text = 'let s = "quoted";\n';
        send({ type: 'analyze', doc: 'x', version: 1, header: '', text, cells: [{ layer: 0, index: QUOTE_CELL }], focus: [0, text.length] });
        const v = await waitFor('values');
        assert.equal(v.values[0].length, text.length);
        assert.ok(v.values[0][text.indexOf('q')] > 0.5 && v.values[0][0] < 0.5);
        send({ type: 'guesses', id: 1, doc: 'x', at: 3 });
        assert.equal((await waitFor('guesses')).top.length, 5);
        send({ type: 'discover', id: 2, checkpointPath: modelPath, corpus: { roots: [ws], include: [], extraIgnore: [], maxFileBytes: 1 << 20, maxTotalBytes: 1 << 24, valFraction: 0.5, seed: 1, maxChars: 20_000 } });
        const d = await waitFor('discovered');
        assert.equal(d.stored, true, JSON.stringify(d));
        assert.ok(d.cells.some((c) => c.label === 'quote' && c.layer === 0 && c.index === QUOTE_CELL));
        assert.deepEqual(loadCheckpoint(modelPath).cells, d.cells);
      } finally {
        await w.terminate();
      }
    } finally {
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});

describe('panel helpers', () => {
  it('counts code points, line starts and common prefixes as the model reads text', () => {
    const t = 'a😀b\nc\n😀😀\nd';
    assert.equal(codePointLength(t), 10);
    assert.deepEqual([...codePointLineStarts(t)], [0, 4, 6, 9]);
    assert.deepEqual([...codePointLineStarts('ab\n\ncd\n')], [0, 3, 4, 7]);
    assert.equal(commonPrefixCodePoints('a😀b', 'a😀c'), 2);
    assert.equal(commonPrefixCodePoints('x😀', 'x😃'), 1, 'never half a surrogate pair');
    assert.equal(commonPrefixCodePoints('same', 'same'), 4);
  });

  it('maps values to 21 colour bins, and the panel\'s CSS holds the same colours', () => {
    assert.deepEqual([binOf(-1), binOf(-2), binOf(0), binOf(1), binOf(NaN)], [0, 0, 10, 20, 10]);
    const css = fs.readFileSync(path.join(__dirname, '../../media/cells-panel.css'), 'utf8');
    for (let b = 0; b < BINS; b++) assert.ok(css.includes(`.b${b} { background: ${binColor(b)}; }`), `bin ${b}`);
    assert.match(binColor(20), /^rgba\(232, 72, 40, 0\.420\)$/, 'a light warm red for +1');
    assert.match(binColor(0), /^rgba\(38, 110, 220, 0\.300\)$/, 'a lighter blue for −1');
  });

  it('the panel\'s page has a strict CSP and its script never writes markup from text', () => {
    const html = cellsPanelHtml({ nonce: 'N0nce', cspSource: 'vscode-res:', scriptUri: 'vscode-res:/p.js', styleUris: ['vscode-res:/w.css', 'vscode-res:/p.css'] });
    const csp = /Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-N0nce'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:|\*/);
    assert.equal((html.match(/<script /g) ?? []).length, 1);
    assert.match(html, /<script nonce="N0nce" src="vscode-res:\/p.js"><\/script>/);
    assert.doesNotMatch(html, /style="/, 'no inline style attribute');
    const links = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)">/g)].map((m) => m[1]);
    assert.deepEqual(links, ['vscode-res:/w.css', 'vscode-res:/p.css'], 'the shared stylesheet, then the panel\'s own');
    for (const f of panelStylesheets('cells-panel.css')) assert.ok(fs.existsSync(path.join(__dirname, '../../media', f)), f);
    const script = fs.readFileSync(path.join(__dirname, '../../media/cells-panel.ts'), 'utf8');
    assert.doesNotMatch(script, /innerHTML|outerHTML|insertAdjacentHTML|document\.write|setAttribute\('style'/);
  });
});
