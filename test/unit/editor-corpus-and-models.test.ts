// The editor's issue-12 parts that need no VS Code: what is too small a corpus for a model, the
// record of the held-out text a model was scored on, the Training panel's file groups, the files
// that come with a model picked for import, keeping a model aside and putting it back, and a
// failed save in one sentence.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { smallCorpusWarning, MIN_TRAIN_CHARS } from '../../src/extension/training/corpus-warnings';
import { heldOutChange, heldOutRecord } from '../../src/training/train';
import { languageCounts, panelFileGroups } from '../../src/extension/training/file-lists';
import { companionsOf, notAModelFile } from '../../src/model-files/companions';
import { ModelStore } from '../../src/model-files/model-store';
import { saveCheckpoint } from '../../src/model-files/checkpoint-file';
import { failureMessage } from '../../src/extension/training/failures';
import { TrainingHistory } from '../../src/extension/training/history';
import { paramLayout } from '../../src/engine/params';
import type { ModelConfig } from '../../src/engine/config';
import type { TrainingProgress } from '../../src/engine/checkpoint';

const lstm = { cell: 'lstm', layers: 1, hidden: 32 };

describe('editor: corpus warnings', () => {
  it('a corpus under 30,000 characters, or under one character per parameter, is too small; others are not', () => {
    // the fixture workspace of the extension-host tests: 2.4 k characters, a 1×32 LSTM of 14 k parameters
    const w = smallCorpusWarning(2_367, 13_690, lstm, false);
    assert.equal(w, 'The workspace gives little text to learn from: 2,367 characters of training text for a 1×32 LSTM of 13,690 parameters. ' +
      'Under 30,000 characters, or one character per parameter, a model learns the files by heart rather than the language ' +
      '(validation stays high, around 5 bits/char or more, while train falls). Add files (lstmLens.include, lstmLens.maxCorpusMB), ' +
      'or a smaller model (lstmLens.hiddenSize, lstmLens.layers).');
    // the case: 31 k characters for a 2×256 LSTM (about 800 k parameters), resumed
    assert.match(smallCorpusWarning(31_000, 800_000, { cell: 'lstm', layers: 2, hidden: 256 }, true)!, /2×256 LSTM of 800,000 parameters\. .*then Reset Model: a stored model keeps its size/);
    assert.ok(smallCorpusWarning(MIN_TRAIN_CHARS - 1, 10, lstm, false), 'few characters, however small the model');
    assert.equal(smallCorpusWarning(MIN_TRAIN_CHARS, 10_000, lstm, false), undefined);
    assert.equal(smallCorpusWarning(4_000_000, 800_000, lstm, false), undefined);
    assert.ok(smallCorpusWarning(799_999, 800_000, lstm, false), 'under one character per parameter');
  });

  it('the held-out record: the same text is comparable, other text or none recorded is said, no earlier figures say nothing', () => {
    const rec = heldOutRecord(['==> a.ts <==\nconst a = 1;\n'], 1, 5_000);
    assert.deepEqual(Object.keys(rec).sort(), ['chars', 'files', 'sha256', 'sinceChars']);
    assert.equal(rec.sinceChars, 5_000);
    const progress = (heldOut?: unknown): TrainingProgress => ({ steps: 10, charsSeen: 5_000, elapsedMs: 1, valBpcHistory: [[5_000, 3.1]], ...(heldOut ? { heldOut } : {}) });
    assert.equal(heldOutChange(progress(rec), heldOutRecord(['==> a.ts <==\nconst a = 1;\n'], 1, 9_000)), undefined, 'same text, later');
    assert.equal(heldOutChange(progress(rec), heldOutRecord(['==> a.ts <==\nconst a = 2;\n', 'x'], 2, 9_000)),
      'The held-out files differ from the ones the model was scored on before (1 file, 26 characters then; 2 files, 27 now): ' +
      'validation figures from before this run are not comparable with the new ones.');
    assert.match(heldOutChange(progress(), rec)!, /did not record \(it was trained elsewhere or by an older version\)/);
    assert.equal(heldOutChange({ ...progress(), valBpcHistory: [] }, rec), undefined, 'no figures to compare');
    // the split of the streams matters, not only their text joined
    assert.notEqual(heldOutRecord(['ab', 'c'], 2, 0).sha256, heldOutRecord(['a', 'bc'], 2, 0).sha256);
  });
});

describe('editor: the Training panel\'s files', () => {
  it('groups: trained on (by language), held out, skipped with why; more than listed is said', () => {
    const groups = panelFileGroups({
      train: [{ path: 'src/a.ts', chars: 1200 }, { path: 'src/b.ts', chars: 30 }, { path: 'tools/x.py', chars: 5 }, { path: 'Makefile', chars: 9 }],
      val: [{ path: 'src/c.ts', chars: 400 }],
      trainMore: 2, valMore: 0,
      skipped: [
        { reason: 'binary', label: 'binary file', count: 1, examples: ['logo.dat'] },
        { reason: 'notRegular', label: 'special files (sockets, FIFOs or devices)', count: 3, examples: ['pipe', 'sock'] },
      ],
    });
    assert.deepEqual(groups.map((g) => g.kind), ['train', 'val', 'skipped']);
    assert.equal(groups[0].title, 'Trained on 6 files (TypeScript 2, Makefile 1, Python 1, of the first listed)');
    assert.deepEqual(groups[0].items[0], { path: 'src/a.ts', note: '1.2k characters' });
    assert.equal(groups[0].more, 'and 2 more');
    assert.equal(groups[1].title, 'Held out for validation: 1 file (never trained on)');
    assert.equal(groups[2].title, 'Skipped: 1 binary file, 3 special files (sockets, FIFOs or devices)');
    assert.deepEqual(groups[2].items, [
      { path: 'logo.dat', note: 'binary (a NUL byte or not UTF-8)' },
      { path: 'pipe', note: 'a special file (socket, FIFO or device)' },
      { path: 'sock', note: 'a special file (socket, FIFO or device)' },
    ]);
    assert.equal(groups[2].more, 'and 1 more');
    const none = panelFileGroups({ train: [{ path: 'one.md', chars: 3 }], val: [], trainMore: 0, valMore: 0, skipped: [] });
    assert.equal(none[1].title, 'Held out for validation: none (a single file is trained on whole)');
    assert.equal(none.length, 2, 'no skipped group when nothing was skipped');
  });

  it('counts by language: extensions named, odd ones as they are', () => {
    assert.equal(languageCounts(['a.ts', 'b.TSX', 'c.py', 'd.weird', 'README', '.hidden']), 'TypeScript 2, no extension 2, .weird 1, Python 1');
  });

  it('history.resume keeps the train curve up to the resumed model, drops what came after it', () => {
    const h = new TrainingHistory();
    for (const x of [100, 200, 300]) h.addTrain(x, 4);
    h.addSample({ charsSeen: 300, text: 'x', time: 0 });
    h.resume([[150, 3.9]], 200);
    assert.deepEqual(h.train, [[100, 4], [200, 4]]);
    assert.deepEqual(h.val, [[150, 3.9]]);
    assert.equal(h.addTrain(250, 3.8), true);
    assert.deepEqual(h.snapshot().files, [], 'no files before a corpus is read');
  });
});

describe('editor: the files that come with a model', () => {
  let tmp: string;
  beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-companions-')); });
  afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const config: ModelConfig = { cell: 'gru', layers: 1, hidden: 4, vocabSize: 3, dropout: 0 };
  const writeModel = (file: string, steps = 3) => saveCheckpoint(file, {
    config, vocab: ['a', 'b', '\uFFFF'], params: new Float32Array(paramLayout(config).total).fill(0.1),
    training: { steps, charsSeen: steps * 10, elapsedMs: 1, valBpcHistory: [] },
  });

  it('lists the optimizer state, the n-gram counts and unfinished writes beside a model, nothing else', () => {
    const m = path.join(tmp, 'm.safetensors');
    writeModel(m);
    for (const f of ['m.state.safetensors', 'm.ngram.bin', '.m.safetensors.123.0badcafe.tmp', '.m.ngram.bin.9.deadbeef.tmp', 'other.safetensors', 'm.txt', 'mm.ngram.bin']) {
      fs.writeFileSync(path.join(tmp, f), 'x');
    }
    assert.deepEqual(companionsOf(m).map((c) => [c.name, c.kind]), [
      ['.m.ngram.bin.9.deadbeef.tmp', 'unfinished write'],
      ['.m.safetensors.123.0badcafe.tmp', 'unfinished write'],
      ['m.ngram.bin', 'n-gram counts'],
      ['m.state.safetensors', 'optimizer state'],
    ]);
    for (const c of companionsOf(m)) assert.match(c.fate, /^(not imported|left alone): /);
  });

  it('a sidecar or temp file picked for import is named as what it is, with the model to pick', () => {
    const m = path.join(tmp, 'm.safetensors');
    writeModel(m);
    assert.equal(notAModelFile(path.join(tmp, 'm.state.safetensors')), 'm.state.safetensors is the optimizer state saved beside m.safetensors, not a model: import m.safetensors instead.');
    assert.equal(notAModelFile(path.join(tmp, 'm.ngram.bin')), 'm.ngram.bin is the n-gram counts saved beside m.safetensors, not a model: import m.safetensors instead.');
    assert.equal(notAModelFile(path.join(tmp, '.m.state.safetensors.1.0badcafe.tmp')), '.m.state.safetensors.1.0badcafe.tmp is a save that never finished (of m.state.safetensors), not a model: import m.safetensors instead.');
    assert.equal(notAModelFile(m), undefined);
    // a model that happens to be named like a sidecar, with no model beside it, is a model
    assert.equal(notAModelFile(path.join(tmp, 'lonely.state.safetensors')), undefined);
  });

  it('setAside keeps the model whole under a new name (its sidecars renamed alike); restore puts it back only into an empty place', async () => {
    const store = new ModelStore(path.join(tmp, 'storage'));
    store.ensureDir();
    writeModel(store.modelPath!, 7);
    fs.writeFileSync(path.join(store.dir!, 'model.ngram.bin'), 'counts');
    fs.writeFileSync(path.join(store.dir!, '.model.safetensors.4242.0badcafe.tmp'), 'half');
    const bytes = fs.readFileSync(store.modelPath!);
    const kept = store.setAside();
    assert.match(path.basename(kept), /^previous-\d{4}-\d\d-\d\dT[\d-]+\.safetensors$/);
    assert.equal(store.exists(), false);
    assert.deepEqual(fs.readFileSync(kept), bytes);
    assert.equal(fs.readFileSync(kept.replace(/\.safetensors$/, '.ngram.bin'), 'utf8'), 'counts', 'the counts go with it');
    assert.deepEqual(fs.readdirSync(store.dir!).filter((f) => f.endsWith('.tmp')), [], 'the unfinished write is gone');
    const read = await new ModelStore(store.dir).validate(kept);
    assert.equal(read.steps, 7, 'a model Import takes back');

    writeModel(store.modelPath!, 1);   // a new model was saved meanwhile: restore leaves both alone
    assert.equal(store.restore(kept), false);
    assert.ok(fs.existsSync(kept));
    fs.rmSync(store.modelPath!);
    assert.equal(store.restore(kept), true);
    assert.deepEqual(fs.readFileSync(store.modelPath!), bytes);
    assert.equal(fs.readFileSync(path.join(store.dir!, 'model.ngram.bin'), 'utf8'), 'counts');
    assert.equal(fs.existsSync(kept), false);
  });
});

describe('editor: a failed save', () => {
  it('is one sentence with the cause in words, no path', () => {
    const data = { code: 'save-failed' as const, path: '/storage/model.safetensors', what: 'checkpoint', reason: 'no space left on the device', kept: true };
    assert.equal(failureMessage('save-failed', 'The checkpoint could not be saved to /storage/model.safetensors (no space left on the device); the previous checkpoint there is intact.', data),
      'LSTM Lens could not save the model (no space left on the device).');
    assert.match(failureMessage('save-failed', 'raw message'), /raw message/, 'without its data, the message as it came');
  });
});
