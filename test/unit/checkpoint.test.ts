import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import { ModelConfig } from '../../src/engine/config';
import { paramLayout } from '../../src/engine/params';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors';
import {
  Checkpoint, UNK, decodeCheckpoint, decodeTrainingState, encodeCheckpoint, encodeTrainingState,
} from '../../src/engine/checkpoint';
import { writeFileAtomic, writeFileAtomicAsync } from '../../src/model-files/atomic-write';
import { loadCheckpoint, loadCheckpointAsync, loadTrainingState, saveCheckpoint, trainingStatePath } from '../../src/model-files/checkpoint-file';

/** One sentence: starts with a capital, ends with its only full stop, no line breaks. */
function assertRefused(fn: () => unknown, mentions: RegExp): string {
  let message = '';
  assert.throws(fn, (e: Error) => {
    message = e.message;
    return true;
  });
  assert.match(message, /^[A-Z][^\n]*\.$/, `not one sentence: ${message}`);
  assert.doesNotMatch(message, /[.!?]\s+[A-Z]/, `more than one sentence: ${message}`);
  assert.match(message, mentions, `does not mention the problem: ${message}`);
  return message;
}

function bitsOf(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

const config: ModelConfig = { cell: 'lstm', layers: 2, hidden: 5, vocabSize: 6, dropout: 0.25 };
const vocab = ['\n', ' ', 'a', 'é', '😀', UNK];

function makeCheckpoint(c: ModelConfig = config): Checkpoint {
  const n = paramLayout(c).total;
  const params = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    params[i] = (s / 2 ** 32 - 0.5) * 3;
  }
  params[0] = -0;
  params[1] = 1.4e-45; // the smallest subnormal
  params[2] = 3.4028234663852886e38;
  return {
    config: c,
    train: { seqLength: 64, optimizer: 'adam', learningRate: 0.002 },
    vocab: vocab.slice(0, c.vocabSize - 1).concat(UNK),
    params,
    training: { steps: 120, charsSeen: 245760, elapsedMs: 61234.5, valBpcHistory: [[81920, 2.5], [163840, 2.125]], epochs: 1.5 },
    cells: [{ label: 'quote', layer: 1, index: 3, metric: 'auc', score: 0.97, sign: 1 }],
  };
}

/** Header JSON and data offset of an encoded file, for surgery. */
function headerOf(bytes: Uint8Array): { json: Record<string, any>; headerLen: number } {
  const headerLen = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  return { json: JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen))), headerLen };
}

/** A safetensors file built byte by byte the way Python's safetensors.torch.save_file lays it out. */
function pythonStyleFile(header: Record<string, unknown>, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const pad = (8 - (json.length % 8)) % 8;
  const out = new Uint8Array(8 + json.length + pad + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length + pad), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + json.length + pad);
  out.set(data, 8 + json.length + pad);
  return out;
}

function rewriteHeader(bytes: Uint8Array, edit: (json: Record<string, any>) => void): Uint8Array {
  const { json, headerLen } = headerOf(bytes);
  edit(json);
  return pythonStyleFile(json, bytes.subarray(8 + headerLen));
}

describe('safetensors', () => {
  it('lays out the header as the format says: u64 length, JSON, space padding to 8 bytes', () => {
    const bytes = encodeSafetensors([{ name: 'w', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) }], { k: 'v' });
    const { json, headerLen } = headerOf(bytes);
    assert.equal((8 + headerLen) % 8, 0);
    assert.deepEqual(json, { __metadata__: { k: 'v' }, w: { dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] } });
    assert.equal(bytes.length, 8 + headerLen + 24);
    assert.equal(new DataView(bytes.buffer).getFloat32(8 + headerLen + 4, true), 2);
  });

  it('reads a file written the way Python safetensors writes one (sorted names, padded header, no tensor order from us)', () => {
    // torch.nn.RNN(3, 2) + Linear(2, 3), saved with save_file(sd, metadata={...}): tensors sorted by name.
    const c: ModelConfig = { cell: 'rnn', layers: 1, hidden: 2, vocabSize: 3, dropout: 0 };
    const values: Record<string, [number[], number[]]> = {
      'decoder.bias': [[3], [0.5, -0.5, 0.25]],
      'decoder.weight': [[3, 2], [1, 2, 3, 4, 5, 6]],
      'rnn.bias_hh_l0': [[2], [0.125, 0.0625]],
      'rnn.bias_ih_l0': [[2], [-1, 1]],
      'rnn.weight_hh_l0': [[2, 2], [7, 8, 9, 10]],
      'rnn.weight_ih_l0': [[2, 3], [11, 12, 13, 14, 15, 16]],
    };
    const header: Record<string, unknown> = {
      __metadata__: { format: 'lstm-lens/1', config: JSON.stringify(c), vocab: JSON.stringify(['a', 'b', UNK]) },
    };
    const chunks: number[] = [];
    for (const [name, [shape, v]] of Object.entries(values)) {
      header[name] = { dtype: 'F32', shape, data_offsets: [chunks.length * 4, (chunks.length + v.length) * 4] };
      chunks.push(...v);
    }
    const data = new Uint8Array(chunks.length * 4);
    const dv = new DataView(data.buffer);
    chunks.forEach((x, i) => dv.setFloat32(4 * i, x, true)); // little-endian, byte by byte
    const file = pythonStyleFile(header, data);

    const ck = decodeCheckpoint(file);
    assert.deepEqual(ck.config, c);
    assert.deepEqual(ck.vocab, ['a', 'b', UNK]);
    assert.deepEqual(ck.training, { steps: 0, charsSeen: 0, elapsedMs: 0, valBpcHistory: [] });
    // our flat layout is PyTorch's state-dict order, whatever order the file stored them in
    const layout = paramLayout(c);
    for (const t of layout.tensors) assert.deepEqual([...ck.params.subarray(t.offset, t.offset + t.size)], values[t.name][1], t.name);
  });

  it('refuses a tensor stored in another dtype, naming the dtype', () => {
    const file = pythonStyleFile({ h: { dtype: 'F16', shape: [2], data_offsets: [0, 4] } }, new Uint8Array(4));
    assertRefused(() => decodeSafetensors(file), /F16.*only F32/);
    const odd = pythonStyleFile({ h: { dtype: 'Q7', shape: [2], data_offsets: [0, 8] } }, new Uint8Array(8));
    assertRefused(() => decodeSafetensors(odd), /unknown dtype "Q7"/);
  });

  it('refuses overlapping, gapped and mis-sized data offsets', () => {
    const f = (h: Record<string, unknown>, n: number) => pythonStyleFile(h, new Uint8Array(n));
    assertRefused(() => decodeSafetensors(f({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, 12)), /overlaps/);
    assertRefused(() => decodeSafetensors(f({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, 8)), /gap of 4 bytes/);
    assertRefused(() => decodeSafetensors(f({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8)), /shape \[3\].*12 bytes.*8 bytes/);
    assertRefused(() => decodeSafetensors(f({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, 12)), /4 unexpected bytes after its last tensor/);
    assertRefused(() => decodeSafetensors(f({ a: { dtype: 'F32', shape: [-2], data_offsets: [0, 8] } }, 8)), /invalid shape/);
  });
});

describe('checkpoint encode/decode', () => {
  it('round-trips params bit for bit and every metadata field', () => {
    const ck = makeCheckpoint();
    const back = decodeCheckpoint(encodeCheckpoint(ck));
    assert.deepEqual(bitsOf(back.params), bitsOf(ck.params));
    assert.ok(Object.is(back.params[0], -0));
    assert.deepEqual(back.config, ck.config);
    assert.deepEqual(back.train, ck.train);
    assert.deepEqual(back.vocab, ck.vocab);
    assert.deepEqual(back.training, ck.training);
    assert.deepEqual(back.cells, ck.cells);
    // optional parts stay absent
    const bare = decodeCheckpoint(encodeCheckpoint({ ...makeCheckpoint(), train: undefined, cells: undefined }));
    assert.equal('train' in bare, false);
    assert.equal('cells' in bare, false);
  });

  it('stores PyTorch names and shapes, and the metadata keys of the design', () => {
    const bytes = encodeCheckpoint(makeCheckpoint());
    const { tensors, metadata } = decodeSafetensors(bytes);
    assert.deepEqual(tensors.get('rnn.weight_ih_l0')!.shape, [20, 6]);
    assert.deepEqual(tensors.get('rnn.weight_ih_l1')!.shape, [20, 5]);
    assert.deepEqual(tensors.get('decoder.weight')!.shape, [6, 5]);
    assert.deepEqual(Object.keys(metadata).sort(), ['cells', 'config', 'format', 'train', 'training', 'vocab']);
    assert.equal(metadata.format, 'lstm-lens/1');
  });

  it('refuses a truncated file at every kind of cut point', () => {
    const bytes = encodeCheckpoint(makeCheckpoint());
    const { headerLen } = headerOf(bytes);
    assertRefused(() => decodeCheckpoint(bytes.subarray(0, 0)), /empty/);
    assertRefused(() => decodeCheckpoint(bytes.subarray(0, 5)), /only 5 bytes/);
    for (const cut of [8, 8 + (headerLen >> 1), 8 + headerLen - 1]) {
      assertRefused(() => decodeCheckpoint(bytes.subarray(0, cut)), /truncated/);
    }
    for (const cut of [8 + headerLen, 8 + headerLen + 100, bytes.length - 1]) {
      const msg = assertRefused(() => decodeCheckpoint(bytes.subarray(0, cut)), /truncated: its header says [\d,]+ bytes of tensors but the file has [\d,]+/);
      assert.match(msg, new RegExp(`file has ${(cut - 8 - headerLen).toLocaleString('en-US')}\\.$`));
    }
  });

  it('refuses corrupted header JSON and flipped bytes in the header length', () => {
    const bytes = encodeCheckpoint(makeCheckpoint());
    const broken = bytes.slice();
    broken[8] = 'x'.charCodeAt(0); // the opening brace
    assertRefused(() => decodeCheckpoint(broken), /header/);
    const mid = bytes.slice();
    assert.equal(String.fromCharCode(mid[8 + 16]), '{'); // {"__metadata__":{ ...
    mid[8 + 16] = '['.charCodeAt(0);
    assertRefused(() => decodeCheckpoint(mid), /not valid JSON/);
    for (let i = 0; i < 8; i++) {
      for (const mask of [0x01, 0x80, 0xff]) {
        const flipped = bytes.slice();
        flipped[i] ^= mask;
        assertRefused(() => decodeCheckpoint(flipped), /header|truncated|unexpected byte|not a safetensors/);
      }
    }
  });

  it('refuses a wrong shape, a missing tensor and an extra tensor, naming the tensor', () => {
    const bytes = encodeCheckpoint(makeCheckpoint());
    const { tensors, metadata } = decodeSafetensors(bytes);
    const list = [...tensors].map(([name, t]) => ({ name, ...t }));
    const wrongShape = encodeSafetensors(list.map((t) => (t.name === 'rnn.weight_hh_l1' ? { ...t, shape: [5, 20] } : t)), metadata);
    assertRefused(() => decodeCheckpoint(wrongShape), /rnn\.weight_hh_l1 has shape \[5, 20\] but .* needs \[20, 5\]/);
    const missing = encodeSafetensors(list.filter((t) => t.name !== 'decoder.bias'), metadata);
    assertRefused(() => decodeCheckpoint(missing), /no tensor decoder\.bias/);
    const extra = encodeSafetensors([...list, { name: 'rnn.weight_ih_l2', shape: [1], data: new Float32Array(1) }], metadata);
    assertRefused(() => decodeCheckpoint(extra), /unexpected tensor rnn\.weight_ih_l2/);
  });

  it('refuses NaN and infinity, naming the tensor, on load and on save', () => {
    const layout = paramLayout(config);
    const good = decodeSafetensors(encodeCheckpoint(makeCheckpoint()));
    for (const bad of [NaN, Infinity, -Infinity]) {
      const list = [...good.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data.slice() }));
      list.find((t) => t.name === 'rnn.weight_hh_l0')!.data[7] = bad;
      const msg = assertRefused(() => decodeCheckpoint(encodeSafetensors(list, good.metadata)), /non-finite/);
      assert.equal(msg, 'The checkpoint holds non-finite values (NaN or infinity) in rnn.weight_hh_l0.');
      const ck = makeCheckpoint();
      ck.params[layout.layers[1].bih.offset + 2] = bad;
      assertRefused(() => encodeCheckpoint(ck), /non-finite values .* in rnn\.bias_ih_l1, so it was not saved/);
    }
  });

  it('refuses a newer format, an unknown format, a missing format and optimizer state', () => {
    const bytes = encodeCheckpoint(makeCheckpoint());
    const v2 = rewriteHeader(bytes, (h) => { h.__metadata__.format = 'lstm-lens/2'; });
    const msg = assertRefused(() => decodeCheckpoint(v2), /newer/);
    assert.equal(msg, 'This model checkpoint was written by a newer LSTM Lens (format lstm-lens/2); update the extension to read it.');
    assertRefused(() => decodeCheckpoint(rewriteHeader(bytes, (h) => { h.__metadata__.format = 'pt'; })), /not an LSTM Lens model checkpoint.*"pt"/);
    assertRefused(() => decodeCheckpoint(rewriteHeader(bytes, (h) => { delete h.__metadata__; })), /no format/);
    const state = encodeTrainingState({ tensors: { m: new Float32Array(3) }, meta: {} });
    assertRefused(() => decodeCheckpoint(state), /optimizer state, not a model checkpoint/);
  });

  it('refuses bad config, vocab and training metadata', () => {
    const bytes = encodeCheckpoint(makeCheckpoint());
    const edit = (f: (m: Record<string, string>) => void) => rewriteHeader(bytes, (h) => f(h.__metadata__));
    assertRefused(() => decodeCheckpoint(edit((m) => { m.config = JSON.stringify({ ...config, cell: 'tcn' }); })), /config is invalid: unknown cell type "tcn"/);
    assertRefused(() => decodeCheckpoint(edit((m) => { m.config = '{'; })), /config entry is not valid JSON/);
    assertRefused(() => decodeCheckpoint(edit((m) => { delete m.config; })), /no config entry/);
    assertRefused(() => decodeCheckpoint(edit((m) => { m.vocab = JSON.stringify(vocab.slice(1)); })), /vocabulary has 5 characters but its config says 6/);
    assertRefused(() => decodeCheckpoint(edit((m) => { m.vocab = JSON.stringify(['ab', ...vocab.slice(1)]); })), /Entry 0 .* not a single character/);
    assertRefused(() => decodeCheckpoint(edit((m) => { m.vocab = JSON.stringify(['a', ...vocab.slice(1)].map((c, i) => (i === 1 ? 'a' : c))); })), /U\+0061 twice/);
    assertRefused(() => decodeCheckpoint(edit((m) => { m.training = JSON.stringify({ steps: -1 }); })), /training\.steps/);
  });

  it('refuses an empty file and files that are not safetensors at all', () => {
    assertRefused(() => decodeCheckpoint(new Uint8Array(0)), /empty/);
    assertRefused(() => decodeCheckpoint(Buffer.from('hello, this is a README and not a model at all\n')), /not a safetensors checkpoint/);
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 0x49, 0x48, 0x44, 0x52]);
    assertRefused(() => decodeCheckpoint(png), /not a safetensors checkpoint/);
    const smallHeader = pythonStyleFile({}, new Uint8Array(0)).slice();
    new DataView(smallHeader.buffer).setBigUint64(0, 8n, true);
    smallHeader.set(Buffer.from('[1,2,3] '), 8);
    assertRefused(() => decodeCheckpoint(smallHeader), /does not start with a JSON object/);
  });

  it('round-trips the optimizer state sidecar and refuses a non-finite one', () => {
    const state = { tensors: { 'adam.m': new Float32Array([1, -2, 3.5]), 'adam.v': new Float32Array([0, 1e-30, 4]) }, meta: { step: 7, rng: [1, 2, 3, 4] } };
    const back = decodeTrainingState(encodeTrainingState(state));
    assert.deepEqual(back.meta, state.meta);
    assert.deepEqual(Object.keys(back.tensors).sort(), ['adam.m', 'adam.v']);
    assert.deepEqual(bitsOf(back.tensors['adam.v']), bitsOf(state.tensors['adam.v']));
    assertRefused(() => decodeTrainingState(encodeTrainingState({ tensors: { m: new Float32Array([NaN]) }, meta: {} })), /non-finite values .* in m/);
    assertRefused(() => decodeTrainingState(encodeCheckpoint(makeCheckpoint())), /model checkpoint, not optimizer state/);
  });
});

describe('checkpoint files', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-ck-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('saves the model and its sidecar, and loads both back', async () => {
    const file = path.join(dir, 'model.safetensors');
    assert.equal(trainingStatePath(file), path.join(dir, 'model.state.safetensors'));
    assert.equal(trainingStatePath(path.join(dir, 'weights')), path.join(dir, 'weights.state.safetensors'));
    const ck = makeCheckpoint();
    ck.params[2] = 1.5;   // FLT_MAX round-trips in the codec (above), but a model file that large is refused at load
    saveCheckpoint(file, ck, { tensors: { m: new Float32Array([1, 2]) }, meta: { t: 3 } });
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.safetensors', 'model.state.safetensors']);
    assert.deepEqual(bitsOf(loadCheckpoint(file).params), bitsOf(ck.params));
    assert.deepEqual(bitsOf((await loadCheckpointAsync(file)).params), bitsOf(ck.params));
    const state = loadTrainingState(file, 120)!;
    assert.equal(state.meta.t, 3);
    assert.deepEqual([...state.tensors.m], [1, 2]);
    assertRefused(() => loadTrainingState(file, 140), /from step 120 but the model is at step 140/);
    // saving without state removes the stale sidecar
    saveCheckpoint(file, ck);
    assert.equal(loadTrainingState(file), undefined);
    assert.deepEqual(fs.readdirSync(dir), ['model.safetensors']);
  });

  it('explains a missing file, a folder and a damaged file in one sentence naming the path', async () => {
    assertRefused(() => loadCheckpoint(path.join(dir, 'nope.safetensors')), /no checkpoint at .*nope\.safetensors/);
    assertRefused(() => loadCheckpoint(dir), /is a folder, not a checkpoint file/);
    await assert.rejects(loadCheckpointAsync(path.join(dir, 'nope')), /There is no checkpoint at/);
    const file = path.join(dir, 'cut.safetensors');
    fs.writeFileSync(file, encodeCheckpoint(makeCheckpoint()).subarray(0, 300));
    assertRefused(() => loadCheckpoint(file), /truncated.*\(in .*cut\.safetensors\)/);
  });
});

describe('atomic write', () => {
  let dir: string;
  beforeEach(() => { dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-aw-')); });
  afterEach(() => { fs.rmSync(dir, { recursive: true, force: true }); });

  it('replaces the file and leaves no temp file (sync and async)', async () => {
    const file = path.join(dir, 'f.bin');
    writeFileAtomic(file, Buffer.from('old'));
    writeFileAtomic(file, Buffer.from('new contents'));
    assert.equal(fs.readFileSync(file, 'utf8'), 'new contents');
    await writeFileAtomicAsync(file, Buffer.from('async'));
    assert.equal(fs.readFileSync(file, 'utf8'), 'async');
    assert.deepEqual(fs.readdirSync(dir), ['f.bin']);
  });

  it('cleans its temp file when the final rename fails', async () => {
    const target = path.join(dir, 'taken');
    fs.mkdirSync(target);
    fs.writeFileSync(path.join(target, 'inside'), 'x');
    assert.throws(() => writeFileAtomic(target, Buffer.from('data')));
    await assert.rejects(writeFileAtomicAsync(target, Buffer.from('data')));
    assert.deepEqual(fs.readdirSync(dir), ['taken']);
    assert.equal(fs.readFileSync(path.join(target, 'inside'), 'utf8'), 'x');
  });

  it('leaves the old file intact when the write itself fails (file size limit hit mid-write)', function () {
    if (process.platform === 'win32') this.skip();
    // Run the real module in a child whose file-size limit (ulimit -f, 1 KiB blocks) is smaller
    // than the new contents: write() fails with EFBIG partway through the temp file.
    buildSync({ entryPoints: [path.join(__dirname, '../../src/model-files/atomic-write.ts')], outfile: path.join(dir, 'atomic-write.js'),
      bundle: true, platform: 'node', format: 'cjs', logLevel: 'error' });
    const file = path.join(dir, 'model.safetensors');
    fs.writeFileSync(file, 'the old checkpoint');
    const script = `const { writeFileAtomic } = require(${JSON.stringify(path.join(dir, 'atomic-write.js'))});
      try { writeFileAtomic(${JSON.stringify(file)}, Buffer.alloc(64 * 1024, 7)); console.log('written'); }
      catch (e) { console.log('failed ' + e.data.code + ': ' + e.message); }`;
    const r = spawnSync('bash', ['-c', `ulimit -f 8 && exec "${process.execPath}" -e "$0"`, script], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), `failed save-failed: The file could not be saved to ${file} (the file would be larger than the system allows); the previous file there is intact.`);
    assert.equal(fs.readFileSync(file, 'utf8'), 'the old checkpoint');
    assert.deepEqual(fs.readdirSync(dir).sort(), ['atomic-write.js', 'model.safetensors']);
  });
});
