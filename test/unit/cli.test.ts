// The lstm-lens CLI end to end, as a user runs it: the built bundle (dist/cli.js) in a child
// process, on small folders made for the test.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeCheckpoint } from '../../src/engine/checkpoint';
import { decodeSafetensors, encodeSafetensors } from '../../src/engine/safetensors';
import { assertOneSentence, runCli } from './cli-run';

const CLI = resolve(__dirname, '../../dist/cli.js');
const SMALL = ['--layers', '1', '--hidden', '24', '--seq', '16', '--batch', '4', '--seed', '7'];

const run = (args: string[], cwd: string) => runCli(CLI, args, { cwd });

describe('lstm-lens CLI', function () {
  let dir: string;
  let src: string;
  before(function () {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
    dir = mkdtempSync(join(tmpdir(), 'lstm-lens-cli-'));
    src = join(dir, 'src');
    mkdirSync(src);
    const code = 'function add(a, b) {\n  // add two numbers\n  return a + b;\n}\nconst s = "hello";\n';
    for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${i}.js`), code.repeat(8) + `// file ${i}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('trains for a moment with --json progress, then evaluates and samples', function () {
    const out = join(dir, 'a.safetensors');
    const r = run(['train', src, '--out', out, '--minutes', '0.03', '--json', ...SMALL], dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.ok(lines.length >= 1);
    const lastLine = lines[lines.length - 1];
    for (const key of ['step', 'chars', 'chars_per_s', 'train_bpc', 'val_bpc', 'eta_s']) assert.ok(key in lastLine, `missing ${key}`);
    assert.ok(lastLine.step > 0 && lastLine.chars > 0);
    assert.equal(typeof lastLine.sample, 'string');
    const ck = decodeCheckpoint(readFileSync(out));
    assert.equal(ck.config.hidden, 24);
    assert.equal(ck.training.steps, lastLine.step);

    const e = run(['eval', '--model', out, src, '--json'], dir);
    assert.equal(e.code, 0, e.stderr);
    const score = JSON.parse(e.stdout);
    // a uniform guess over the vocabulary costs log2(V) bits per char; this corpus repeats one
    // snippet, so seconds of training learn it far below that
    const uniform = Math.log2(ck.vocab.length);
    assert.ok(score.bpc > 0 && score.bpc < 1.5, `bpc ${score.bpc} (uniform: ${uniform.toFixed(2)})`);
    assert.ok(score.bpc < lastLine.train_bpc + 0.5, `eval ${score.bpc} agrees with training's own ${lastLine.train_bpc}`);
    assert.ok(score.chars > 100);
    // --raw: each file one stream, scored from its second character on
    const raw = JSON.parse(run(['eval', '--model', out, src, '--raw', '--json'], dir).stdout);
    const lengths = [0, 1, 2, 3, 4, 5].map((i) => [...readFileSync(join(src, `f${i}.js`), 'utf8')].length);
    assert.equal(raw.chars, lengths.reduce((a, b) => a + (b - 1), 0));
    // an untrained model (one step of a tiny learning rate) knows only the characters' frequencies
    // (its decoder bias starts at their logs): better than uniform, log2(V), and far from trained
    const fresh = join(dir, 'fresh.safetensors');
    assert.equal(run(['train', src, '--out', fresh, '--steps', '1', '--lr', '1e-9', ...SMALL], dir).code, 0);
    const untrained = JSON.parse(run(['eval', '--model', fresh, src, '--json'], dir).stdout);
    const uniformBits = Math.log2(decodeCheckpoint(readFileSync(fresh)).vocab.length);
    assert.ok(untrained.bpc < uniformBits - 0.5 && untrained.bpc > 3, `untrained: ${untrained.bpc} (uniform ${uniformBits.toFixed(2)})`);
    assert.ok(score.bpc < untrained.bpc - 2.5, `trained ${score.bpc} vs untrained ${untrained.bpc}`);
    assert.ok(Number.isInteger(score.oov) && score.oov < 10, 'only the held-out file names hold unseen digits');

    const s = run(['sample', '--model', out, '--prime', 'function ', '--length', '50', '--seed', '3'], dir);
    assert.equal(s.code, 0, s.stderr);
    assert.ok(s.stdout.startsWith('function '));
    assert.equal([...s.stdout.trimEnd()].length >= 'function '.length + 1, true);
    const again = run(['sample', '--model', out, '--prime', 'function ', '--length', '50', '--seed', '3'], dir);
    assert.equal(again.stdout, s.stdout, 'a seeded sample is reproducible');
  });

  it('a run stopped and resumed ends bit-identical to one that was not stopped', function () {
    // A shorter budget stands in for the stop, and a new budget starts a new learning-rate
    // schedule; a step decay keeps one rate for all steps (test/unit/recipe.test.ts: a run
    // resumed with its own budget goes on with its schedule).
    const constant = ['--lr-decay', '1', '--lr-decay-every', '1000'];
    const whole = join(dir, 'whole.safetensors'), split = join(dir, 'split.safetensors');
    assert.equal(run(['train', src, '--out', whole, '--steps', '24', ...SMALL, ...constant], dir).code, 0);
    assert.equal(run(['train', src, '--out', split, '--steps', '11', ...SMALL, ...constant], dir).code, 0);
    const resumed = run(['train', src, '--out', split, '--steps', '24', '--resume'], dir);
    assert.equal(resumed.code, 0, resumed.stderr);
    const a = decodeCheckpoint(readFileSync(whole)), b = decodeCheckpoint(readFileSync(split));
    assert.equal(b.training.steps, 24);
    assert.deepEqual(Buffer.from(b.params.buffer, b.params.byteOffset, b.params.byteLength),
      Buffer.from(a.params.buffer, a.params.byteOffset, a.params.byteLength));
  });

  it('Ctrl-C saves a checkpoint and exits cleanly', async function () {
    const out = join(dir, 'interrupted.safetensors');
    const child = spawn(process.execPath, [CLI, 'train', src, '--out', out, '--minutes', '5', '--json', ...SMALL], { cwd: dir });
    let stdout = '', stderr = '';
    child.stderr.on('data', (d) => { stderr += d; });
    await new Promise<void>((res) => child.stdout.on('data', (d) => { stdout += d; if (stdout.includes('\n')) res(); }));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((res) => child.on('exit', res));
    assert.equal(code, 0, stderr);
    assert.match(stderr, /Stopping: saving a checkpoint/);
    const ck = decodeCheckpoint(readFileSync(out));
    assert.ok(ck.training.steps > 0);
  });

  it('refuses bad input with one sentence and a non-zero exit, overwriting nothing', function () {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    writeFileSync(join(empty, 'blob.bin'), Buffer.from([0, 1, 2, 0, 255, 0]));
    const r = run(['train', empty, '--out', join(dir, 'x.safetensors')], dir);
    assert.equal(r.code, 1);
    assertOneSentence(r.stderr);
    assert.match(r.stderr, /no usable text/i);
    assert.equal(existsSync(join(dir, 'x.safetensors')), false);

    const existing = join(dir, 'mine.safetensors');
    writeFileSync(existing, 'precious');
    const o = run(['train', src, '--out', existing, '--steps', '1'], dir);
    assert.equal(o.code, 2);
    assertOneSentence(o.stderr);
    assert.equal(readFileSync(existing, 'utf8'), 'precious');

    for (const args of [['train', src, '--out', join(dir, 'y.safetensors'), '--lr', 'fast'], ['train', src], ['frobnicate'],
      ['train', src, '--out', join(dir, 'y.safetensors'), '--cell', 'transformer'], ['eval', src]]) {
      const b = run(args, dir);
      assert.equal(b.code, 2, `${args.join(' ')}: ${b.stderr}`);
      assertOneSentence(b.stderr);
    }
  });

  it('refuses a corrupted or future-version checkpoint with one sentence', function () {
    const good = join(dir, 'good.safetensors');
    assert.equal(run(['train', src, '--out', good, '--steps', '2', ...SMALL], dir).code, 0);
    const bytes = readFileSync(good);

    const truncated = join(dir, 'truncated.safetensors');
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 100));
    const future = join(dir, 'future.safetensors');
    const decoded = decodeSafetensors(bytes);
    const tensors = [...decoded.tensors].map(([name, t]) => ({ name, shape: t.shape, data: t.data }));
    writeFileSync(future, encodeSafetensors(tensors, { ...decoded.metadata, format: 'lstm-lens/2' }));

    for (const [file, pattern] of [[truncated, /truncated/i], [future, /newer/i], [join(dir, 'missing.safetensors'), /no checkpoint/i]] as const) {
      const r = run(['sample', '--model', file, '--length', '5'], dir);
      assert.equal(r.code, 1, r.stderr);
      assertOneSentence(r.stderr);
      assert.match(r.stderr, pattern);
    }
  });

  it('bench --json prints DESIGN.md\'s record, on two threads too', function () {
    this.timeout(120_000);
    const r = run(['bench', '--config', 'A', '--threads', '2', '--json'], dir);
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 1, 'one JSON line on stdout');
    const b = JSON.parse(lines[0]);
    assert.equal(b.config, 'A');
    assert.equal(b.threads, 2);
    for (const key of ['train_chars_per_s', 'train_chars_per_cpu_s', 'sample_ms_per_char', 'prime_ms_2000', 'peak_rss_mb']) {
      assert.ok(Number.isFinite(b[key]) && b[key] > 0, `${key}: ${b[key]}`);
    }
  });
});
