// `lstm-lens cells` and `lstm-lens trace` end to end: the CLI in a child process (from source,
// through tsx), on a hand-built model whose quote cell (0:5) and column cell (0:9) we know.
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeCheckpoint } from '../../src/engine/checkpoint';
import { saveCheckpoint, trainingStatePath } from '../../src/model-files/checkpoint-file';
import { COLUMN_CELL, QUOTE_CELL, handBuiltCheckpoint, quoteHeavyCode } from '../fixtures/cells/hand-model';
import { assertOneSentence, runCli } from './cli-run';

const ROOT = resolve(__dirname, '../..');
const MAIN = join(ROOT, 'src/cli/main.ts');

const run = (args: string[]) => runCli(MAIN, args, { cwd: ROOT });

describe('lstm-lens cells and trace', function () {
  this.timeout(120_000);
  let dir: string, src: string, model: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'lstm-lens-cells-'));
    src = join(dir, 'src');
    mkdirSync(src);
    for (let i = 0; i < 4; i++) writeFileSync(join(src, `f${i}.js`), quoteHeavyCode(100, 40 + i));
    model = join(dir, 'model.safetensors');
    // with an optimizer sidecar, which `cells` must leave alone
    saveCheckpoint(model, handBuiltCheckpoint(), { tensors: { 'optim.m': new Float32Array([1, 2, 3]) }, meta: { kind: 'test' } });
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('cells --json lists the cells best first per label and stores them in the checkpoint', () => {
    const before = decodeCheckpoint(readFileSync(model));
    const r = run(['cells', '--model', model, '--json', src]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(Array.isArray(out.cells) && out.cells.length === 25, r.stdout.slice(0, 300));
    for (const c of out.cells) {
      for (const key of ['label', 'layer', 'index', 'metric', 'score', 'sign', 'probe']) assert.ok(key in c, `missing ${key}`);
      assert.ok(['quote', 'comment', 'indent', 'if', 'column'].includes(c.label));
      assert.ok(Number.isInteger(c.layer) && c.layer >= 0 && c.layer < 2 && Number.isInteger(c.index) && c.index >= 0 && c.index < 16);
      assert.ok(c.metric === (c.label === 'indent' || c.label === 'column' ? 'r' : 'auc'));
      assert.ok(c.sign === 1 || c.sign === -1);
    }
    // labels grouped, in order, the first of each group the best
    assert.deepEqual([...new Set(out.cells.map((c: { label: string }) => c.label))], ['quote', 'comment', 'if', 'indent', 'column']);
    const quote = out.cells.find((c: { label: string }) => c.label === 'quote');
    assert.deepEqual([quote.layer, quote.index], [0, QUOTE_CELL]);
    assert.ok(quote.score > 0.95, `quote AUC ${quote.score}`);
    const column = out.cells.find((c: { label: string }) => c.label === 'column');
    assert.deepEqual([column.layer, column.index], [0, COLUMN_CELL]);

    const after = decodeCheckpoint(readFileSync(model));
    assert.deepEqual(after.cells, out.cells, 'the checkpoint holds what was printed');
    assert.deepEqual(after.params, before.params);
    assert.deepEqual(after.vocab, before.vocab);
    assert.deepEqual(after.training, before.training);
    assert.ok(existsSync(trainingStatePath(model)), 'the optimizer sidecar is still there');
    assert.match(r.stderr, /stored 25 cells/);
  });

  it('cells --atlas --json: one entry per feature with its best cell, best first, ablated; the model file is left alone', () => {
    const before = readFileSync(model);
    const r = run(['cells', '--model', model, src, '--atlas', '--json', '--ablation-chars', '2000']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.ok(Array.isArray(out.features) && out.features.length > 10, r.stdout.slice(0, 300));
    for (const e of out.features) {
      for (const key of ['feature', 'layer', 'index', 'metric', 'score', 'sign']) assert.ok(key in e, `missing ${key}`);
      assert.ok(e.metric === 'auc' || e.metric === 'r');
      assert.ok(e.sign === 1 || e.sign === -1);
    }
    for (let i = 1; i < out.features.length; i++) assert.ok(out.features[i - 1].score >= out.features[i].score, 'best first');
    assert.equal(new Set(out.features.map((e: { feature: string }) => e.feature)).size, out.features.length, 'one entry per feature');
    const string = out.features.find((e: { feature: string }) => e.feature === 'string');
    assert.deepEqual([string.layer, string.index, string.sign], [0, QUOTE_CELL, 1]);
    assert.ok(typeof string.ablation.inside_bits === 'number' && typeof string.ablation.outside_bits === 'number', JSON.stringify(string));
    assert.ok(Array.isArray(out.cells) && out.cells.length === 32, 'one explanation per cell of the 2×16 model');
    assert.deepEqual(readFileSync(model), before, 'the atlas stores nothing');

    const bad = run(['cells', '--model', model, src, '--ablate', 'zero']);
    assert.equal(bad.code, 2);
    assertOneSentence(bad.stderr);
    assert.match(bad.stderr, /go with --atlas/);
  });

  it('cells without --json prints a table', () => {
    const r = run(['cells', '--model', model, '--top', '1', join(src, 'f0.js'), join(src, 'f1.js')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^quote +0:5 +AUC/m);
    assert.equal(r.stdout.trim().split('\n').length, 2 + 5);
  });

  it('trace gives one value per code point, emoji included, with and without --raw', () => {
    const file = join(dir, 'emoji.js');
    const text = 'const a = "héllo 👋🏽 wörld";\nlet b = 1; // 🎉\n';
    writeFileSync(file, text);
    const codePoints = [...text].length;
    assert.notEqual(codePoints, text.length, 'the text has characters outside the BMP');

    const r = run(['trace', '--model', model, file, '--cells', `0:${QUOTE_CELL},0:${COLUMN_CELL}`, '--json']);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.equal(out.chars, codePoints);
    assert.deepEqual(Object.keys(out.cells), [`0:${QUOTE_CELL}`, `0:${COLUMN_CELL}`]);
    const q = out.cells[`0:${QUOTE_CELL}`] as number[];
    assert.equal(q.length, codePoints);
    // inside the string (after the opening quote, at the emoji) the quote cell is high; after it, low
    const chars = [...text];
    const inside = chars.indexOf('👋');
    const after = chars.indexOf('l', chars.indexOf(';'));
    assert.ok(q[inside] > 0.5 && q[after] < -0.5, `inside ${q[inside]}, after ${q[after]}`);
    // the column cell restarts after the line break
    const col = out.cells[`0:${COLUMN_CELL}`] as number[];
    const nl = chars.indexOf('\n');
    assert.ok(col[nl - 1] > col[nl + 1] && col[nl + 1] < 0.05, `${col[nl - 1]} then ${col[nl + 1]}`);

    const raw = JSON.parse(run(['trace', '--model', model, file, '--cells', `0:${COLUMN_CELL}`, '--json', '--raw']).stdout);
    assert.equal(raw.chars, codePoints);
    // raw starts from the zero state at the file's first character: column 0 -> 0.02
    assert.ok(Math.abs(raw.cells[`0:${COLUMN_CELL}`][0] - 0.02) < 0.005, String(raw.cells[`0:${COLUMN_CELL}`][0]));
  });

  it('refuses a cell the model does not have, and a missing --cells, with one sentence', () => {
    const file = join(src, 'f0.js');
    let r = run(['trace', '--model', model, file, '--cells', '2:0', '--json']);
    assert.equal(r.code, 2);
    assertOneSentence(r.stderr);
    assert.match(r.stderr, /no layer 2/);
    r = run(['trace', '--model', model, file, '--cells', '0:99', '--json']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no cell 99/);
    r = run(['trace', '--model', model, file, '--json']);
    assert.equal(r.code, 2);
    assertOneSentence(r.stderr);
    r = run(['cells', '--model', join(dir, 'nope.safetensors'), src]);
    assert.equal(r.code, 1);
    assertOneSentence(r.stderr);
  });
});
