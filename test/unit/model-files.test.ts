// The one owner of a model's files (src/model-files): the header read the editor's thread does,
// cells stored back into the checkpoint, moving a bad model aside, removing a model, and the
// ModelStore of a workspace built on them.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Checkpoint, decodeCheckpoint, encodeCheckpoint, UNK } from '../../src/engine/checkpoint';
import type { ModelConfig } from '../../src/engine/config';
import { paramLayout } from '../../src/engine/params';
import {
  existingModelFiles, loadCheckpoint, moveAside, readCheckpointHeader, removeModelFiles, saveCheckpoint, storeCells,
} from '../../src/model-files/checkpoint-file';
import { ModelStore } from '../../src/model-files/model-store';
import { ngramPathFor, trainingStatePath } from '../../src/model-files/paths';

const config: ModelConfig = { cell: 'lstm', layers: 1, hidden: 4, vocabSize: 4, dropout: 0 };

function checkpoint(steps = 7): Checkpoint {
  const params = new Float32Array(paramLayout(config).total).map((_, i) => Math.sin(i));
  return { config, vocab: ['a', 'b', '\n', UNK], params, training: { steps, charsSeen: 100 * steps, elapsedMs: 5, valBpcHistory: [[10, 2.5]] } };
}

describe('model files (src/model-files)', () => {
  let dir = '';
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-mf-')); });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads the header alone: everything the checkpoint says but its weights', async () => {
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, encodeCheckpoint(checkpoint()));
    const { params, ...full } = decodeCheckpoint(fs.readFileSync(file));
    assert.ok(params.length > 0);
    assert.deepEqual(await readCheckpointHeader(file), full);
  });

  it('the header read refuses what the full read refuses in the header, and leaves the weights to the workers', async () => {
    const file = path.join(dir, 'model.safetensors');
    const good = Buffer.from(encodeCheckpoint(checkpoint()));
    fs.writeFileSync(file, good.subarray(0, good.length - 4));   // truncated: the tensors do not tile the data
    await assert.rejects(readCheckpointHeader(file), /truncated.*\(in .*model\.safetensors\)\.$/);
    // a NaN weight: the header is fine, the full read (in a worker) refuses it
    const nan = Buffer.from(good);
    nan.writeFloatLE(NaN, nan.length - 4);
    fs.writeFileSync(file, nan);
    await readCheckpointHeader(file);
    assert.throws(() => loadCheckpoint(file), /non-finite/);
  });

  it('stores cells into the checkpoint only while it is the model they were found on', () => {
    const file = path.join(dir, 'model.safetensors');
    saveCheckpoint(file, checkpoint(7));
    const cells = [{ label: 'quote', layer: 0, index: 1, score: 0.9 }];
    assert.equal(storeCells(file, cells, 6), false, 'the model moved on: nothing stored');
    assert.equal(loadCheckpoint(file).cells, undefined);
    assert.equal(storeCells(file, cells, 7), true);
    const back = loadCheckpoint(file);
    assert.deepEqual(back.cells, cells);
    assert.deepEqual(back.params, checkpoint(7).params, 'the weights are as they were');
  });

  it('moves a model aside with its optimizer state, and removes a model without touching anything else', () => {
    const file = path.join(dir, 'model.safetensors');
    saveCheckpoint(file, checkpoint(), { tensors: { m: new Float32Array(2) }, meta: {} });
    fs.writeFileSync(ngramPathFor(file), 'counts');
    fs.writeFileSync(path.join(dir, `.model.safetensors.${process.pid}.0123abcd.tmp`), 'half a write');
    fs.writeFileSync(path.join(dir, 'notes.txt'), 'the user\'s');
    assert.deepEqual(existingModelFiles(file).map((f) => path.basename(f)).sort(),
      ['.model.safetensors.' + process.pid + '.0123abcd.tmp', 'model.ngram.bin', 'model.safetensors', 'model.state.safetensors']);
    const aside = moveAside(file);
    assert.match(path.basename(aside), /^model\.safetensors\.corrupt-/);
    assert.ok(fs.existsSync(aside) && !fs.existsSync(file) && !fs.existsSync(trainingStatePath(file)));
    removeModelFiles(file);
    assert.deepEqual(fs.readdirSync(dir).sort(), [path.basename(aside), path.basename(aside).replace('model.safetensors', 'model.state.safetensors'), 'notes.txt'].sort(),
      'what was moved aside and the user\'s own file stay');
  });

  it('ModelStore: summary from the header; a corrupt model is moved aside; reset removes only the model', async () => {
    const store = new ModelStore(dir);
    assert.deepEqual(await store.read(), { state: 'none' });
    saveCheckpoint(store.modelPath!, checkpoint(9));
    const ok = await store.read();
    assert.ok(ok.state === 'ok' && ok.summary.steps === 9 && ok.summary.valBpc === 2.5 && ok.summary.hidden === 4);
    fs.writeFileSync(store.modelPath!, 'not a model');
    const bad = await store.read();
    assert.ok(bad.state === 'corrupt' && fs.readFileSync(bad.movedTo, 'utf8') === 'not a model');
    saveCheckpoint(store.modelPath!, checkpoint(3));
    let changed = 0;
    store.on('changed', () => changed++);
    assert.equal(store.reset(), true);
    assert.equal(changed, 1);
    assert.equal(store.exists(), false);
    assert.ok(fs.existsSync(bad.movedTo), 'the file moved aside is kept');
  });
});
