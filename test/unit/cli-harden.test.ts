// The CLI against what a path is and what a file holds (issue 12): FIFOs, links to /dev/zero,
// temp files, a full disk, a closed output pipe, numbers that pass validation but break the maths.
// Each case runs the built bundle (dist/cli.js) in a child process with a timeout, so a hang fails
// the test instead of stalling the suite.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Checkpoint, decodeCheckpoint, encodeCheckpoint, UNK } from '../../src/engine/checkpoint';
import { paramLayout } from '../../src/engine/params';
import { assertOneSentence, CliResult, runCli } from './cli-run';

const CLI = resolve(__dirname, '../../dist/cli.js');
const SMALL = ['--layers', '1', '--hidden', '24', '--seq', '16', '--batch', '4', '--seed', '7'];
const canFifo = process.platform !== 'win32';

describe('lstm-lens CLI: hostile paths and files', function () {
  this.timeout(120_000);
  let dir: string, src: string, model: string;
  const run = (args: string[], o: { input?: string; timeoutMs?: number } = {}): CliResult =>
    runCli(CLI, args, { cwd: dir, input: o.input ?? '', timeoutMs: o.timeoutMs ?? 20_000 });
  const writeModel = (name: string, ck: Checkpoint): string => {
    const file = join(dir, name);
    writeFileSync(file, encodeCheckpoint(ck));
    return file;
  };

  before(function () {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
    dir = mkdtempSync(join(tmpdir(), 'lstm-lens-harden-'));
    src = join(dir, 'src');
    mkdirSync(src);
    const code = 'function add(a, b) {\n  // add two numbers\n  return a + b;\n}\nconst s = "hello";\n';
    for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${i}.js`), code.repeat(8) + `// file ${i}\n`);
    model = join(dir, 'model.safetensors');
    const r = run(['train', src, '--out', model, '--steps', '20', ...SMALL], { timeoutMs: 60_000 });
    assert.equal(r.code, 0, r.stderr);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('what a path is', function () {
    // a model path for each command, and what else it needs
    const commands: [string, (m: string) => string[]][] = [
      ['eval', (m) => ['eval', '--model', m, src]],
      ['sample', (m) => ['sample', '--model', m, '--length', '5']],
      ['complete', (m) => ['complete', '--model', m]],
      ['cells', (m) => ['cells', '--model', m, src]],
      ['trace', (m) => ['trace', '--model', m, join(src, 'f0.js'), '--cells', '0:0']],
    ];

    for (const [name, args] of commands) {
      it(`${name}: a FIFO as --model is refused at once, not waited on`, function () {
        if (!canFifo) this.skip();
        const fifo = join(dir, `${name}.fifo`);
        execFileSync('mkfifo', [fifo]);
        const r = run(args(fifo), { timeoutMs: 10_000 });
        assert.notEqual(r.code, null, 'it hung');
        assert.equal(r.code, 1);
        assertOneSentence(r.stderr);
        assert.match(r.stderr, /is a named pipe \(FIFO\), not a regular file\./);
      });
    }

    it('a link to /dev/zero as --model is refused before reading', function () {
      if (!canFifo) this.skip();
      const zero = join(dir, 'zero.safetensors');
      symlinkSync('/dev/zero', zero);
      for (const [, args] of commands) {
        const r = run(args(zero), { timeoutMs: 10_000 });
        assert.equal(r.code, 1, r.stderr);
        assertOneSentence(r.stderr);
        assert.match(r.stderr, /links to \/dev\/zero, which is a character device, not a regular file\./);
      }
    });

    it('train --resume on a FIFO is refused, not waited on', function () {
      if (!canFifo) this.skip();
      const fifo = join(dir, 'resume.fifo');
      execFileSync('mkfifo', [fifo]);
      const r = run(['train', src, '--out', fifo, '--resume', '--steps', '1'], { timeoutMs: 10_000 });
      assert.equal(r.code, 1, r.stderr);
      assertOneSentence(r.stderr);
    });

    it('a FIFO or a link to /dev/zero as a --raw input is refused; in a folder it is skipped', function () {
      if (!canFifo) this.skip();
      const fifo = join(dir, 'raw.fifo'), zero = join(dir, 'raw-zero.txt');
      execFileSync('mkfifo', [fifo]);
      symlinkSync('/dev/zero', zero);
      for (const input of [fifo, zero]) {
        const r = run(['eval', '--model', model, '--raw', input], { timeoutMs: 10_000 });
        assert.equal(r.code, 1, r.stderr);
        assertOneSentence(r.stderr);
        assert.match(r.stderr, /is not a regular file/);
      }
      const folder = join(dir, 'with-fifo');
      mkdirSync(folder);
      writeFileSync(join(folder, 'a.js'), readFileSync(join(src, 'f0.js')));
      execFileSync('mkfifo', [join(folder, 'pipe.js')]);
      symlinkSync('/dev/zero', join(folder, 'zero.js'));
      for (const raw of [['--raw'], []]) {
        const r = run(['eval', '--model', model, ...raw, folder, '--json'], { timeoutMs: 10_000 });
        assert.equal(r.code, 0, r.stderr);
        assert.ok(JSON.parse(r.stdout).chars > 100);
      }
    });

    it('a --raw file over the raw cap (512 MiB) is refused, not read; a corpus file of a few MiB is read', function () {
      const big = join(dir, 'big.txt');
      writeFileSync(big, 'x');
      execFileSync('truncate', ['-s', '5G', big]);   // sparse: 5 GB that take no disk
      const r = run(['eval', '--model', model, '--raw', big], { timeoutMs: 10_000 });
      assert.equal(r.code, 1, r.stderr);
      assertOneSentence(r.stderr);
      assert.match(r.stderr, /larger than 512 MiB, the most LSTM Lens reads of one file\./);
      // a benchmark's train.txt is one raw stream of several MiB
      const corpus = join(dir, 'train.txt');
      writeFileSync(corpus, 'function f(a) { return a + 1; }\n'.repeat(100_000));   // 3.2 MB
      const ok = run(['eval', '--model', model, '--raw', corpus, '--json'], { timeoutMs: 60_000 });
      assert.equal(ok.code, 0, ok.stderr);
      assert.equal(JSON.parse(ok.stdout).chars, 3_200_000 - 1);
    });

    it('a checkpoint larger than the largest model is refused by its size', function () {
      const big = join(dir, 'huge.safetensors');
      copyFileSync(model, big);
      execFileSync('truncate', ['-s', '5G', big]);
      const r = run(['sample', '--model', big], { timeoutMs: 10_000 });
      assert.equal(r.code, 1, r.stderr);
      assertOneSentence(r.stderr);
      assert.match(r.stderr, /is 5\.4 GB, more than the 1\.9 GB that the largest model LSTM Lens builds needs \(4 layers of 4,096 LSTM cells\)\./);
    });
  });

  describe('temp files of saves that never finished', function () {
    const deadPid = (): number => spawnSync(process.execPath, ['-e', '0']).pid!;

    it('a temp file given as --model is refused with the file it was to become', function () {
      const tmp = join(dir, `.model.safetensors.${deadPid()}.0badf00d.tmp`);
      copyFileSync(model, tmp);
      const r = run(['sample', '--model', tmp, '--length', '5']);
      assert.equal(r.code, 1, r.stderr);
      assertOneSentence(r.stderr);
      assert.match(r.stderr, /is the temp file of a save of .*model\.safetensors that never finished; use .*model\.safetensors\./);
      rmSync(tmp);
    });

    it('stale ones (their writer gone, or old) are removed at the next load and save; live ones stay', function () {
      const dead = join(dir, `.model.safetensors.${deadPid()}.deadbeef.tmp`);
      const deadState = join(dir, `.model.state.safetensors.${deadPid()}.deadbeef.tmp`);
      const live = join(dir, `.model.safetensors.${process.pid}.0000abcd.tmp`);
      const oldLive = join(dir, `.model.safetensors.${process.pid}.1111abcd.tmp`);
      for (const f of [dead, deadState, live, oldLive]) writeFileSync(f, 'half a checkpoint');
      const hourAgo = Date.now() / 1000 - 3600;
      utimesSync(oldLive, hourAgo, hourAgo);
      const r = run(['sample', '--model', model, '--length', '5']);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual([dead, deadState, live, oldLive].map(existsSync), [false, false, true, false]);

      const copy = join(dir, 'saved.safetensors');
      copyFileSync(model, copy);
      const stale = join(dir, `.saved.safetensors.${deadPid()}.deadbeef.tmp`);
      writeFileSync(stale, 'half a checkpoint');
      const cells = run(['cells', '--model', copy, src]);   // loads, then saves the cells
      assert.equal(cells.code, 0, cells.stderr);
      assert.equal(existsSync(stale), false);
      rmSync(live);
    });
  });

  describe('saves that fail', function () {
    it('train --out in a folder that does not exist fails before training, in one sentence', function () {
      const t0 = Date.now();
      const r = run(['train', src, '--out', join(dir, 'no-such-dir', 'm.safetensors'), '--minutes', '1', ...SMALL]);
      assert.equal(r.code, 2, r.stderr);
      assertOneSentence(r.stderr);
      assert.match(r.stderr, /^lstm-lens: Cannot save to .*m\.safetensors: the folder .*no-such-dir does not exist\.$/m);
      assert.ok(Date.now() - t0 < 10_000, 'it trained first');
    });

    it('train and cells on a full disk say the save failed and the previous checkpoint is intact', function () {
      if (process.platform === 'win32') this.skip();
      const disk = fullDisk(dir);
      try {
        const before = readFileSync(disk.model);
        const check = (r: CliResult, what: string) => {
          assert.equal(r.code, 1, `${what}: ${r.stderr}`);
          const last = r.stderr.trim().split('\n').pop()!;
          assert.match(last, /^lstm-lens: The checkpoint could not be saved to .*m\.safetensors \((no space left on the device|the file would be larger than the system allows)\); the previous checkpoint there is intact\.$/, what);
          assert.doesNotMatch(r.stderr, /ENOSPC|EFBIG|\.tmp|at .*\.js:\d+/, what);
          assert.deepEqual(readFileSync(disk.model), before, `${what}: the checkpoint changed`);
          assert.deepEqual(readdirSync(disk.dir).filter((f) => f.endsWith('.tmp')), [], `${what}: a temp file was left`);
        };
        // validation keeps the best model, so a save is due only when the model improves: score it
        // on its own training text, which 25 more steps improve
        check(disk.run(['train', src, '--out', disk.model, '--resume', '--steps', '25', '--val', src]), 'train');
        check(disk.run(['cells', '--model', disk.model, src]), 'cells');
      } finally {
        disk.release();
      }
    });
  });

  describe('output closed early', function () {
    it('sample | head -c 10 and complete | head -n 1 exit quietly', function () {
      if (process.platform === 'win32') this.skip();
      const requests = Array.from({ length: 300 }, (_, i) => JSON.stringify({ id: i, context: 'function add' })).join('\n') + '\n';
      writeFileSync(join(dir, 'requests.jsonl'), requests);
      for (const [pipeline, want] of [
        [`"${process.execPath}" "${CLI}" sample --model "${model}" --length 200000 2>err.txt | head -c 10`, 10],
        [`"${process.execPath}" "${CLI}" complete --model "${model}" < requests.jsonl 2>err.txt | head -n 1`, 1],
      ] as const) {
        const r = spawnSync('bash', ['-o', 'pipefail', '-c', pipeline], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
        const err = readFileSync(join(dir, 'err.txt'), 'utf8');
        assert.equal(err.replace(/^lstm-lens: There are no n-gram counts.*\n/, ''), '', pipeline);
        assert.equal(r.status, 0, `${pipeline}: ${err}`);
        assert.equal(want === 10 ? r.stdout.length : r.stdout.trim().split('\n').length, want);
      }
    });
  });

  describe('numbers that pass validation but break the maths', function () {
    it('weights of 3e38 are refused at load, with one sentence', function () {
      const ck = decodeCheckpoint(readFileSync(model));
      ck.params.fill(3e38);
      const file = writeModel('huge-weights.safetensors', ck);
      for (const args of [['eval', '--model', file, src], ['sample', '--model', file]]) {
        const r = run(args);
        assert.equal(r.code, 1, r.stderr);
        assertOneSentence(r.stderr);
        assert.match(r.stderr, /weights reach 3\.0e\+38, past the .* at which its sums overflow 32-bit floats/);
      }
    });

    it('a consistent vocabulary of 10^6 characters is refused by cells and complete before any work', function () {
      const vocab: string[] = [];
      for (let cp = 0x20; vocab.length < 999_999; cp++) if ((cp < 0xd800 || cp > 0xdfff) && cp !== 0xffff) vocab.push(String.fromCodePoint(cp));
      vocab.push(UNK);
      const config = { cell: 'lstm' as const, layers: 1, hidden: 1, vocabSize: vocab.length, dropout: 0 };
      const file = writeModel('million.safetensors', {
        config, vocab, params: new Float32Array(paramLayout(config).total), training: { steps: 0, charsSeen: 0, elapsedMs: 0, valBpcHistory: [] },
      });
      for (const args of [['cells', '--model', file, src], ['complete', '--model', file]]) {
        const r = run(args, { input: '{"id":1,"context":"x"}\n' });
        assert.equal(r.code, 1, r.stderr);
        assertOneSentence(r.stderr);
        assert.match(r.stderr, /vocabulary has 1,000,000 characters, more than the 65,534 LSTM Lens can use/);
        assert.equal(r.stdout, '');
      }
    });
  });

  it('train refuses a text of more different characters than a vocabulary holds, before building the model', function () {
    let text = '';
    for (let cp = 0x100, n = 0; n < 70_000; cp++) if ((cp < 0xd800 || cp > 0xdfff) && cp !== 0xffff) { text += String.fromCodePoint(cp); n++; }
    const file = join(dir, 'many-chars.txt');
    writeFileSync(file, text);
    const r = run(['train', '--raw', file, '--out', join(dir, 'many.safetensors'), '--steps', '1', ...SMALL]);
    assert.equal(r.code, 1, r.stderr);
    assertOneSentence(r.stderr);
    assert.match(r.stderr, /The training text has more than 65,533 different characters, more than a model's vocabulary can hold\./);
    assert.equal(existsSync(join(dir, 'many.safetensors')), false);
  });

  it('sample never prints the UNK placeholder U+FFFF', function () {
    const ck = decodeCheckpoint(readFileSync(model));
    const layout = paramLayout(ck.config);
    const unk = ck.vocab.indexOf(UNK);
    assert.ok(unk >= 0);
    ck.params[layout.decoderBias.offset + unk] = 3;   // UNK often, but not always
    const file = writeModel('unk-prone.safetensors', ck);
    const r = run(['sample', '--model', file, '--length', '2000', '--seed', '5']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(r.stdout.length > 20, 'some characters that are not UNK');
    assert.equal(r.stdout.includes(UNK), false, 'U+FFFF in the sample');
  });

  it('cells on a symlinked model writes through to its target and keeps the link', function () {
    const real = join(dir, 'real-model.safetensors'), link = join(dir, 'link-model.safetensors');
    copyFileSync(model, real);
    symlinkSync(real, link);
    const r = run(['cells', '--model', link, src]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(lstatSync(link).isSymbolicLink(), 'the link was replaced by a file');
    assert.ok(Array.isArray(decodeCheckpoint(readFileSync(real)).cells), 'the target has no cells');
  });

  describe('advice in the words of the command line', function () {
    it('--hidden -5 and other parse errors are one sentence', function () {
      const cases: [string[], RegExp][] = [
        [['--hidden', '-5'], /--hidden must be at least 1, not -5\./],
        [['--lr', '-1e-3'], /--lr must be at least 1e-12, not -1e-3\./],
        [['--bogus'], /There is no option --bogus \(see "lstm-lens train --help"\)\./],
        [['--out'], /--out needs a value \(see/],
        [['--json=yes'], /--json takes no value \(see/],
      ];
      for (const [flags, want] of cases) {
        const r = run(['train', src, '--out', join(dir, 'never.safetensors'), ...flags]);
        assert.equal(r.code, 2, r.stderr);
        assertOneSentence(r.stderr);
        assert.match(r.stderr, want);
      }
    });
  });

  describe('--save-every', function () {
    it('is in --help', function () {
      const r = run(['--help']);
      assert.match(r.stdout, /--save-every SECONDS/);
    });

    it('saves a running training at that interval, so a kill -9 loses little', async function () {
      const out = join(dir, 'periodic.safetensors');
      const { spawn } = await import('node:child_process');
      // --raw: no validation, so every save writes the latest model (with validation, only a better one)
      const child = spawn(process.execPath, [CLI, 'train', '--raw', src, '--out', out, '--minutes', '5', '--save-every', '1', ...SMALL], { cwd: dir });
      let stderr = '';
      child.stderr.on('data', (d) => { stderr += d; });
      try {
        const t0 = Date.now();
        while (!existsSync(out) && Date.now() - t0 < 30_000 && child.exitCode === null) await new Promise((r) => setTimeout(r, 200));
        assert.ok(existsSync(out), `no checkpoint within 30 s: ${stderr}`);
        const first = decodeCheckpoint(readFileSync(out)).training.steps;
        const t1 = Date.now();
        while (decodeCheckpoint(readFileSync(out)).training.steps === first && Date.now() - t1 < 20_000) await new Promise((r) => setTimeout(r, 200));
        assert.ok(decodeCheckpoint(readFileSync(out)).training.steps > first, 'no second save');
      } finally {
        child.kill('SIGKILL');
      }
    });
  });
});

/** A folder with a model whose disk has no room for another save: a small tmpfs when we may mount
 *  one (root on Linux), else a file-size limit (ulimit -f) smaller than the checkpoint. */
function fullDisk(dir: string): { dir: string; model: string; run(args: string[]): CliResult; release(): void } {
  const source = join(dir, 'model.safetensors');
  const mnt = mkdtempSync(join(dir, 'disk-'));
  const model = join(mnt, 'm.safetensors');
  const size = statSync(source).size;
  const runIn = (prefix: string) => (args: string[]): CliResult => {
    const r = spawnSync('bash', ['-c', `${prefix}exec "${process.execPath}" "${CLI}" "$@"`, 'cli', ...args], { cwd: dir, encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const mounted = process.getuid?.() === 0 && spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil((size * 1.5) / 4096) * 4}k`, 'tmpfs', mnt]).status === 0;
  copyFileSync(source, model);
  if (mounted) {
    // fill what is left, so that the temp file of the next save cannot be written whole
    const free = Number(execFileSync('df', ['-B1', '--output=avail', mnt], { encoding: 'utf8' }).trim().split('\n').pop());
    writeFileSync(join(mnt, 'filler'), Buffer.alloc(Math.max(0, free - 4096)));
    return { dir: mnt, model, run: runIn(''), release: () => { spawnSync('umount', [mnt]); } };
  }
  const blocks = Math.floor(size / 1024 / 2);   // ulimit -f counts 1 KiB blocks: half the checkpoint
  return { dir: mnt, model, run: runIn(`ulimit -f ${blocks} && `), release: () => undefined };
}
