// The extension's parts that need no VS Code: the model store (corrupt files are moved aside,
// never deleted; imports are validated first), the include filter, and the panel's history.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ModelStore } from '../../src/model-files/model-store';
import { TrainingHistory } from '../../src/extension/training/history';
import { saveCheckpoint } from '../../src/model-files/checkpoint-file';
import { includeFilter } from '../../src/corpus/include-filter';
import { paramLayout } from '../../src/engine/params';
import type { ModelConfig } from '../../src/engine/config';

function writeModel(file: string, steps: number): void {
  const config: ModelConfig = { cell: 'gru', layers: 1, hidden: 4, vocabSize: 3, dropout: 0 };
  saveCheckpoint(file, {
    config, vocab: ['a', 'b', '\uFFFF'], params: new Float32Array(paramLayout(config).total).fill(0.1),
    training: { steps, charsSeen: steps * 10, elapsedMs: 1000, valBpcHistory: [[5, 2.5], [10, 2.25]] },
  });
}

describe('extension parts', () => {
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-store-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

  describe('ModelStore', () => {
    it('reads nothing, then a model, and summarises it', async () => {
      const store = new ModelStore(path.join(tmp, 'storage'));
      assert.deepEqual(await store.read(), { state: 'none' });
      store.ensureDir();
      writeModel(store.modelPath!, 7);
      const r = await store.read();
      assert.equal(r.state, 'ok');
      assert.ok(r.state === 'ok' && r.summary.steps === 7 && r.summary.valBpc === 2.25 && r.summary.cell === 'gru');
    });

    it('moves a corrupt model (and its sidecar) aside, byte for byte', async () => {
      const store = new ModelStore(tmp);
      fs.writeFileSync(store.modelPath!, 'garbage');
      fs.writeFileSync(path.join(tmp, 'model.state.safetensors'), 'sidecar');
      const r = await store.read();
      assert.equal(r.state, 'corrupt');
      assert.ok(r.state === 'corrupt' && /model\.safetensors\.corrupt-/.test(r.movedTo));
      assert.equal(fs.existsSync(store.modelPath!), false);
      const names = fs.readdirSync(tmp).sort();
      assert.equal(names.length, 2, names.join());
      assert.ok(names.every((n) => /\.corrupt-/.test(n)));
      assert.equal(fs.readFileSync(path.join(tmp, names.find((n) => n.startsWith('model.safetensors'))!), 'utf8'), 'garbage');
      assert.deepEqual(await store.read(), { state: 'none' });
    });

    it('imports only a valid model, exports the stored one, resets', async () => {
      const store = new ModelStore(path.join(tmp, 's'));
      const junk = path.join(tmp, 'junk.safetensors');
      fs.writeFileSync(junk, 'nope');
      await assert.rejects(store.importFrom(junk), /Cannot import junk\.safetensors/);
      assert.equal(store.exists(), false);
      const good = path.join(tmp, 'good.safetensors');
      writeModel(good, 3);
      assert.equal((await store.importFrom(good)).steps, 3);
      assert.deepEqual(fs.readFileSync(store.modelPath!), fs.readFileSync(good));
      const out = path.join(tmp, 'out.safetensors');
      await store.exportTo(out);
      assert.deepEqual(fs.readFileSync(out), fs.readFileSync(good));
      assert.equal(store.reset(), true);
      assert.equal(store.exists(), false);
      await assert.rejects(store.exportTo(out), /no trained model/);
    });

    it('resets every file of the model (state, n-gram counts, stale temp files) and nothing else', () => {
      const store = new ModelStore(tmp);
      writeModel(store.modelPath!, 5);
      const theModels = ['model.state.safetensors', 'model.ngram.bin', '.model.safetensors.123.0badcafe.tmp', '.model.ngram.bin.9.deadbeef.tmp'];
      const others = ['model.safetensors.corrupt-2025-01-01T00-00-00-000Z', 'other.safetensors', 'model.ngram.bin.bak', '.model.safetensors.x.tmp', 'notes.txt'];
      for (const f of [...theModels, ...others]) fs.writeFileSync(path.join(tmp, f), 'x');
      let changed = 0;
      store.on('changed', () => changed++);
      assert.deepEqual(store.modelFiles().map((f) => path.basename(f)).sort(), ['model.safetensors', ...theModels].sort());
      assert.equal(store.reset(), true);
      assert.equal(changed, 1);
      assert.deepEqual(fs.readdirSync(tmp).sort(), others.sort());
      assert.deepEqual(store.modelFiles(), []);
    });

    it('imports over a model: the old optimizer state and n-gram counts go, only once the new model is in', async () => {
      const store = new ModelStore(tmp);
      writeModel(store.modelPath!, 5);
      const sidecars = ['model.state.safetensors', 'model.ngram.bin', '.model.ngram.bin.9.deadbeef.tmp'];
      const others = ['model.safetensors.corrupt-2025-01-01T00-00-00-000Z', 'notes.txt'];
      for (const f of [...sidecars, ...others]) fs.writeFileSync(path.join(tmp, f), `old ${f}`);
      const snapshot = () => Object.fromEntries(fs.readdirSync(tmp).sort().map((f) => [f, fs.readFileSync(path.join(tmp, f)).toString('base64')]));
      const before = snapshot();
      let changed = 0;
      store.on('changed', () => changed++);

      // a corrupt file (outside the folder, and one dropped into it) changes nothing at all
      const src = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-import-'));
      try {
        const junk = path.join(src, 'junk.safetensors');
        fs.writeFileSync(junk, 'garbage');
        await assert.rejects(store.importFrom(junk), /Cannot import junk\.safetensors/);
        const truncated = path.join(src, 'cut.safetensors');
        writeModel(truncated, 9);
        fs.truncateSync(truncated, fs.statSync(truncated).size - 7);
        await assert.rejects(store.importFrom(truncated), /Cannot import cut\.safetensors/);
        await assert.rejects(store.importFrom(path.join(src, 'missing.safetensors')), /^Error: Cannot import missing\.safetensors: There is no checkpoint at .*missing\.safetensors\.$/);
        assert.deepEqual(snapshot(), before);
        assert.equal(changed, 0);

        const good = path.join(src, 'good.safetensors');
        writeModel(good, 9);
        assert.equal((await store.importFrom(good)).steps, 9);
      } finally {
        fs.rmSync(src, { recursive: true, force: true });
      }
      assert.equal(changed, 1);
      assert.deepEqual(fs.readdirSync(tmp).sort(), ['model.safetensors', ...others].sort());
      for (const f of others) assert.equal(fs.readFileSync(path.join(tmp, f), 'utf8'), `old ${f}`);
      const r = await store.read();
      assert.ok(r.state === 'ok' && r.summary.steps === 9);
    });

    it('has no place for a model without a workspace', () => {
      const store = new ModelStore(undefined);
      assert.equal(store.modelPath, undefined);
      assert.throws(() => store.ensureDir(), /Open a folder/);
    });
  });

  describe('includeFilter', () => {
    it('is absent when there are no patterns', () => {
      assert.equal(includeFilter([' ', '# comment'], false), undefined);
    });

    it('takes a file that any glob matches', () => {
      const f = includeFilter(['*.py', 'src/**'], false)!;
      assert.equal(f('tools/x.py'), true);
      assert.equal(f('src/a/b.ts'), true);
      assert.equal(f('lib/b.ts'), false);
    });

    it('matches below the folder name in a multi-root workspace', () => {
      const f = includeFilter(['src/**'], true)!;
      assert.equal(f('app/src/main.ts'), true);
      assert.equal(f('app/lib/main.ts'), false);
    });
  });

  describe('TrainingHistory', () => {
    it('keeps train points in order and one validation point per evaluation', () => {
      const h = new TrainingHistory();
      h.reset([[100, 3]]);
      assert.equal(h.addTrain(10, 4), true);
      assert.equal(h.addTrain(10, 3.9), false, 'no new characters, no new point');
      assert.equal(h.addTrain(20, NaN), false);
      assert.equal(h.addVal(20, 3), false, 'the same score repeated by progress messages');
      assert.equal(h.addVal(30, 2.8), true);
      assert.deepEqual(h.val, [[100, 3], [30, 2.8]]);
    });

    it('keeps the newest samples first, at most 30', () => {
      const h = new TrainingHistory();
      for (let i = 0; i < 40; i++) h.addSample({ charsSeen: i, text: `s${i}`, time: i });
      assert.equal(h.samples.length, 30);
      assert.equal(h.samples[0].text, 's39');
    });

    it('halves the density of a long curve but keeps its span', () => {
      const h = new TrainingHistory();
      for (let i = 1; i <= 4001; i++) h.addTrain(i, 1);
      assert.ok(h.train.length <= 2001);
      assert.equal(h.train[0][0], 1);
    });
  });
});
