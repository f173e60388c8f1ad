import { strict as assert } from 'node:assert';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { buildSync } from 'esbuild';
import {
  CorpusFiles, NoUsableTextError, UNICODE_SCALAR_VALUES, UNK, buildCorpus, buildVocab, collectCorpus, describeCollected,
  fileHeader, readRawStreams, vocabFromChars,
} from '../../src/corpus';
import { readFileStable } from '../../src/corpus/read-file';

/** Writes a tree: { 'a/b.ts': 'text' | Buffer }. */
function writeTree(root: string, tree: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(tree)) {
    const p = path.join(root, rel);
    fs.mkdirSync(path.dirname(p), { recursive: true });
    fs.writeFileSync(p, content);
  }
}

const paths = (c: CorpusFiles) => c.files.map((f) => f.relPath);
const skipCounts = (c: CorpusFiles) => Object.fromEntries(Object.entries(c.skipped).map(([k, v]) => [k, v!.count]));

/** A node process running `body` (with fs and sleep(ms)), racing the reads of the test. */
function startWriter(body: string): ChildProcess {
  const script = `const fs = require('node:fs'); const cell = new Int32Array(new SharedArrayBuffer(4));
    const sleep = (ms) => Atomics.wait(cell, 0, 0, ms); ${body}`;
  return spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
}

async function waitForFile(p: string, ok: (text: string) => boolean): Promise<void> {
  const end = Date.now() + 30_000;
  for (;;) {
    let t: string | undefined;
    try { t = fs.readFileSync(p, 'utf8'); } catch { /* between versions */ }
    if (t !== undefined && ok(t)) return;
    if (Date.now() > end) throw new Error(`the writer did not start writing ${p}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let tmp: string;
beforeEach(() => { tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-corpus-')); });
afterEach(() => { fs.rmSync(tmp, { recursive: true, force: true }); });

describe('collectCorpus', () => {
  it('respects nested .gitignore files with negation, the built-in ignores, and every content filter', async function () {
    const root = path.join(tmp, 'repo');
    writeTree(root, {
      '.gitignore': '*.log\n!keep.log\nsecret/\n',
      'a.ts': 'export const a = 1;\n',
      'debug.log': 'ignored by *.log\n',
      'keep.log': 'kept by !keep.log\n',
      'secret/x.ts': 'ignored folder\n',
      'sub/.gitignore': '!debug.log\n*.tmp\n',
      'sub/debug.log': 'included again by the deeper negation\n',
      'sub/y.tmp': 'ignored by sub/.gitignore\n',
      'sub/deeper/z.tmp': 'also ignored by sub/.gitignore\n',
      'other/y.tmp': 'not ignored: the *.tmp rule lives in sub/\n',
      'node_modules/pkg/index.js': 'module.exports = 1;\n',
      'dist/out.js': 'built\n',
      'package-lock.json': '{}\n',
      'logo.png': Buffer.from([0x89, 0x50, 0x4e, 0x47]),
      'app.min.js': 'var a=1;\n',
      'bin.dat': Buffer.from('text then a NUL\u0000 byte'),
      'latin1.txt': Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a]), // "café" in Latin-1: invalid UTF-8
      'bundle.js': 'x'.repeat(6000) + '\n',
      'wide.css': ('a{b:c}'.repeat(70) + '\n').repeat(10),
      'notes.md': 'A long paragraph on one line. '.repeat(200) + '\n',
      'dup1.ts': 'const same = true;\n',
      'dup2.ts': 'const same = true;\n',
      'empty.ts': '',
      'bom.ts': '\uFEFFconst bom = 1;\n',
      'emoji.ts': "const s = '😀𝒳';\n",
      'huge.txt': 'y'.repeat(10000),
    });
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(path.join(root, 'sock'), resolve));
    let haveFifo = false;
    if (spawnSync('mkfifo', [path.join(root, 'fifo')]).status === 0) haveFifo = true;
    fs.symlinkSync('.', path.join(root, 'loop'));                       // a folder link back to the root
    fs.symlinkSync('self', path.join(root, 'self'));                    // a link to itself
    fs.symlinkSync('nowhere', path.join(root, 'broken'));
    fs.symlinkSync('a.ts', path.join(root, 'link-to-a.ts'));            // same bytes as a.ts

    try {
      const c = await collectCorpus([root], { maxFileBytes: 8192 });
      assert.deepEqual(paths(c), [
        '.gitignore', 'a.ts', 'bom.ts', 'dup1.ts', 'emoji.ts', 'keep.log', 'notes.md', 'other/y.tmp', 'sub/.gitignore', 'sub/debug.log',
      ]);
      assert.deepEqual(skipCounts(c), {
        ignored: 9, binary: 2, minified: 2, huge: 1, empty: 1, duplicate: 2, notRegular: haveFifo ? 2 : 1, symlinkLoop: 2, brokenLink: 1,
      });
      // (up to 20 examples a reason: the Training panel lists them)
      assert.deepEqual(c.skipped.ignored!.examples, ['app.min.js', 'debug.log', 'dist/', 'logo.png', 'node_modules/', 'package-lock.json', 'secret/', 'sub/deeper/z.tmp', 'sub/y.tmp']);
      assert.deepEqual(c.skipped.binary!.examples, ['bin.dat', 'latin1.txt']);
      assert.deepEqual(c.skipped.minified!.examples, ['bundle.js', 'wide.css']);
      assert.deepEqual(c.skipped.duplicate!.examples, ['dup2.ts', 'link-to-a.ts']);
      assert.deepEqual(c.skipped.symlinkLoop!.examples.sort(), ['loop/', 'self']);
      assert.deepEqual(c.skipped.notRegular!.examples.sort(), haveFifo ? ['fifo', 'sock'] : ['sock']);
      const text = (p: string) => c.files.find((f) => f.relPath === p)!.text;
      assert.equal(text('bom.ts'), 'const bom = 1;\n', 'the BOM is dropped');
      assert.equal(text('emoji.ts'), "const s = '😀𝒳';\n");
      assert.equal(c.totalChars, c.files.reduce((n, f) => n + [...f.text].length, 0));
      assert.match(describeCollected(c), /^Read 10 files \([\d,]+ characters\); skipped 2 binary files, .* and 9 ignored files or folders\.$/);
      // the same tree gives the same answer
      assert.deepEqual(await collectCorpus([root], { maxFileBytes: 8192 }), c);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('takes extraIgnore patterns, an include filter, a total budget, single files and several roots', async () => {
    writeTree(tmp, { 'p/a.ts': 'a\n', 'p/b.py': 'b\n', 'p/gen/c.ts': 'c\n', 'q/d.ts': 'dd\n', 'q/e.ts': 'eeeee\n', 'single.txt': 'one\n' });
    const p = path.join(tmp, 'p'), q = path.join(tmp, 'q');
    assert.deepEqual(paths(await collectCorpus([p], { extraIgnore: ['gen/'] })), ['a.ts', 'b.py']);
    assert.deepEqual(paths(await collectCorpus([p], { include: (r) => r.endsWith('.ts') })), ['a.ts', 'gen/c.ts']);
    assert.deepEqual(paths(await collectCorpus([p, q])), ['p/a.ts', 'p/b.py', 'p/gen/c.ts', 'q/d.ts', 'q/e.ts']);
    assert.deepEqual(paths(await collectCorpus([path.join(tmp, 'single.txt')])), ['single.txt']);
    const budget = await collectCorpus([q], { maxTotalBytes: 5 });
    assert.deepEqual(paths(budget), ['d.ts']);
    assert.deepEqual(skipCounts(budget), { overBudget: 1 });
  });

  it('explains a tree with no usable text, and a missing root, in one sentence', async () => {
    writeTree(tmp, { 'x.dat': Buffer.from([1, 0, 2]), 'y.dat': Buffer.from([0]), 'z.dat': Buffer.from([0xff, 0xfe, 0]), 'out/a.js': 'a', 'b.png': 'b' });
    await assert.rejects(collectCorpus([tmp]), (e: Error) => {
      assert.ok(e instanceof NoUsableTextError);
      assert.equal(e.message, `Found no usable text in ${tmp}: 3 binary files and 2 ignored files or folders were skipped.`);
      return true;
    });
    const empty = path.join(tmp, 'empty');
    fs.mkdirSync(empty);
    await assert.rejects(collectCorpus([empty]), { message: `Found no usable text in ${empty}: there are no files to read.` });
    await assert.rejects(collectCorpus([path.join(tmp, 'missing')]), { message: `There is no file or folder at ${path.join(tmp, 'missing')}.` });
  });

  it('skips a file that vanishes after listing', async () => {
    writeTree(tmp, { 'a.ts': 'a\n', 'gone.ts': 'soon gone\n', 'z.ts': 'z\n' });
    const c = await collectCorpus([tmp], {
      onProgress: (p) => { if (p.phase === 'listed') fs.unlinkSync(path.join(tmp, 'gone.ts')); },
    });
    assert.deepEqual(paths(c), ['a.ts', 'z.ts']);
    assert.deepEqual(skipCounts(c), { vanished: 1 });
  });

  it('reads a file another process keeps appending to: whole as it was at one moment, or skipped as changed', async function () {
    this.timeout(120_000);
    writeTree(tmp, { 'a.ts': 'a\n', 'grows.ts': '', 'z.ts': 'z\n' });
    const grows = path.join(tmp, 'grows.ts');
    // the writer appends lines "0\n", "1\n", … with pauses of 0-2 ms: a read sees some whole number of them
    const writer = startWriter(`const fd = fs.openSync(${JSON.stringify(grows)}, 'a');
      for (let n = 0; n < 100000; n++) { fs.writeSync(fd, n + '\\n'); sleep(Math.random() * 2); }`);
    try {
      await waitForFile(grows, (t) => t.length > 0);
      const whole = (t: string) => t === Array.from({ length: t.split('\n').length - 1 }, (_, i) => `${i}\n`).join('');
      const seen = { ok: 0, changed: 0 };
      // the reader, many times, until it has both read the file whole and caught it changing
      for (let i = 0; i < 20_000 && (i < 300 || !seen.ok || !seen.changed); i++) {
        const r = await readFileStable(grows, { maxFileBytes: 1e7, remainingBytes: 1e7 });
        if (r.ok) {
          assert.ok(whole(r.bytes.toString()), `read ${i} is whole: ${JSON.stringify(r.bytes.toString().slice(-20))}`);
          seen.ok++;
        } else {
          assert.equal(r.reason, 'changed');
          seen.changed++;
        }
      }
      assert.ok(seen.ok > 0 && seen.changed > 0, JSON.stringify(seen));
      // and collecting the folder: the growing file is in the corpus whole, or skipped as changed
      let skipped = 0;
      for (let i = 0; i < 2_000 && (i < 20 || !skipped); i++) {
        const c = await collectCorpus([tmp]);
        const g = c.files.find((f) => f.relPath === 'grows.ts');
        if (g) {
          assert.ok(whole(g.text));
          assert.deepEqual(paths(c), ['a.ts', 'grows.ts', 'z.ts']);
          assert.deepEqual(skipCounts(c), {});
        } else {
          assert.deepEqual(paths(c), ['a.ts', 'z.ts']);
          assert.deepEqual(skipCounts(c), { changed: 1 });
          skipped++;
        }
      }
      assert.ok(skipped > 0, 'a collection caught the file changing');
    } finally {
      writer.kill();
    }
  });

  it('reads a file another process keeps replacing (a new file renamed over it): one version whole, or skipped as changed', async function () {
    this.timeout(120_000);
    const p = path.join(tmp, 'a.ts');
    fs.writeFileSync(p, 'first\n');
    // versions of different sizes, each written whole to a new file and renamed over the old one
    const writer = startWriter(`const p = ${JSON.stringify(p)};
      for (let n = 0; n < 200000; n++) { fs.writeFileSync(p + '.new', n % 2 ? 'a\\n' : 'bb\\n'); fs.renameSync(p + '.new', p); sleep(Math.random() * 2); }`);
    try {
      await waitForFile(p, (t) => t !== 'first\n');
      const seen = { ok: 0, changed: 0 };
      for (let i = 0; i < 20_000 && (i < 300 || !seen.ok || !seen.changed); i++) {
        const r = await readFileStable(p, { maxFileBytes: 1e6, remainingBytes: 1e6 });
        if (r.ok) {
          assert.ok(['a\n', 'bb\n'].includes(r.bytes.toString()), JSON.stringify(r.bytes.toString()));
          seen.ok++;
        } else {
          assert.ok(r.reason === 'changed' || r.reason === 'vanished', r.reason);
          seen.changed++;
        }
      }
      assert.ok(seen.ok > 0 && seen.changed > 0, JSON.stringify(seen));
    } finally {
      writer.kill();
    }
  });

  it('skips unreadable files and folders (as an unprivileged user when the tests run as root)', async function () {
    this.timeout(60000);
    const tree = path.join(tmp, 'tree');
    writeTree(tree, { 'ok.ts': 'fine\n', 'locked.ts': 'secret\n', 'closed/inner.ts': 'hidden\n' });
    fs.chmodSync(path.join(tree, 'locked.ts'), 0o000);
    fs.chmodSync(path.join(tree, 'closed'), 0o000);
    try {
      let result: { files: string[]; skipped: Record<string, number> };
      if (process.getuid?.() === 0) {
        // root reads through chmod 000, so run the real code as 'nobody' in a child process
        const bundle = path.join(tmp, 'corpus-bundle.js');
        buildSync({ entryPoints: [path.join(__dirname, '../../src/corpus/index.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'silent' });
        fs.chmodSync(tmp, 0o755);
        const script = `require(${JSON.stringify(bundle)}).collectCorpus([${JSON.stringify(tree)}]).then((c) => console.log(JSON.stringify({
          files: c.files.map((f) => f.relPath), skipped: Object.fromEntries(Object.entries(c.skipped).map(([k, v]) => [k, v.count])) })));`;
        const r = spawnSync(process.execPath, ['-e', script], { uid: 65534, gid: 65534, encoding: 'utf8', cwd: '/' });
        assert.equal(r.status, 0, r.stderr);
        result = JSON.parse(r.stdout);
      } else {
        const c = await collectCorpus([tree]);
        result = { files: paths(c), skipped: skipCounts(c) };
      }
      assert.deepEqual(result.files, ['ok.ts']);
      assert.deepEqual(result.skipped, { unreadable: 2 });
    } finally {
      fs.chmodSync(path.join(tmp, 'tree', 'closed'), 0o755);
    }
  });
});

describe('buildCorpus', () => {
  const files = Array.from({ length: 20 }, (_, i) => ({ relPath: `src/f${String(i).padStart(2, '0')}.ts`, text: `// file ${i}\nconst x${i} = ${i};` }));

  it('puts a header line before each file and splits by file, deterministically', () => {
    const a = buildCorpus(files, { seed: 7 });
    assert.equal(a.valFiles.length, 2, '10% of 20 files');
    assert.equal(a.trainFiles.length, 18);
    assert.deepEqual([...a.trainFiles, ...a.valFiles].sort(), files.map((f) => f.relPath));
    assert.deepEqual(a.trainFiles, [...a.trainFiles].sort(), 'each part keeps path order');
    assert.deepEqual(buildCorpus(files, { seed: 7 }), a);
    assert.deepEqual(buildCorpus([...files].reverse(), { seed: 7 }), a, 'input order does not matter');
    assert.notDeepEqual(buildCorpus(files, { seed: 8 }).valFiles, a.valFiles);
    // a file's text lies whole in one part, after its header, with a final newline added
    const first = files.find((f) => f.relPath === a.valFiles[0])!;
    assert.ok(a.val.startsWith(fileHeader(first.relPath) + first.text + '\n'));
    assert.equal(fileHeader('src/a.ts'), '==> src/a.ts <==\n');
    for (const s of a.trainSpans) assert.equal(a.train.slice(s.start, s.end), files.find((f) => f.relPath === s.relPath)!.text);
    assert.ok(!a.train.includes(first.text));
  });

  it('keeps at least one file in train and one in validation when it can', () => {
    const one = buildCorpus(files.slice(0, 1));
    assert.deepEqual([one.trainFiles.length, one.val], [1, '']);
    const two = buildCorpus(files.slice(0, 2), { valFraction: 0.01 });
    assert.deepEqual([two.trainFiles.length, two.valFiles.length], [1, 1]);
    const most = buildCorpus(files.slice(0, 3), { valFraction: 0.9 });
    assert.deepEqual([most.trainFiles.length, most.valFiles.length], [1, 2]);
    assert.equal(buildCorpus(files, { valFraction: 0 }).val, '');
    assert.throws(() => buildCorpus([]), /no files/);
  });
});

describe('vocabulary', () => {
  it('gives one id per code point: emoji and astral characters round-trip as single ids', () => {
    const text = "a😀b 𝒳\u{E000}é\n😀";
    const v = buildVocab(text);
    assert.deepEqual(v.chars, ['\n', ' ', 'a', 'b', 'é', '\u{E000}', '𝒳', '😀', UNK], 'sorted by code point, UNK last');
    assert.equal(v.unkId, v.size - 1);
    const ids = v.encode(text);
    assert.equal(ids.length, [...text].length);
    assert.equal(ids[1], v.chars.indexOf('😀'));
    assert.equal(v.decode(ids), text);
    assert.equal(v.idOf('𝒳'), 6);
    assert.deepEqual([...v.encode('a🙂\uFFFFz')], [2, v.unkId, v.unkId, v.unkId]);
    assert.equal(v.outOfVocabCodePoints, UNICODE_SCALAR_VALUES - 8);
    assert.throws(() => v.decode([99]), /outside the vocabulary/);
  });

  it('rebuilds the same ids from a checkpoint\'s list, and refuses bad lists', () => {
    const v = buildVocab('hello, world 🌍');
    const w = vocabFromChars(v.chars);
    assert.deepEqual(w.encode('world 🌍 ?'), v.encode('world 🌍 ?'));
    const noUnk = vocabFromChars(['a', 'b']);
    assert.equal(noUnk.unkId, -1);
    assert.throws(() => noUnk.encode('abc'), /U\+0063 is not in the vocabulary, which has no UNK entry/);
    assert.throws(() => vocabFromChars(['a', 'a']), /twice/);
    assert.throws(() => vocabFromChars(['ab']), /not a single character/);
  });
});

describe('readRawStreams', () => {
  it('reads each file verbatim as its own stream, a folder as its files in path order', async () => {
    writeTree(tmp, { 'd/b.txt': 'B', 'd/a.txt': '\uFEFFA with BOM', 'd/node_modules/x.js': 'x', 'd/min.js': 'y'.repeat(6000), 'f.txt': 'F\r\n' });
    const streams = await readRawStreams([path.join(tmp, 'f.txt'), path.join(tmp, 'd')]);
    assert.deepEqual(streams, ['F\r\n', '\uFEFFA with BOM', 'B', 'y'.repeat(6000)]);
    await assert.rejects(readRawStreams([path.join(tmp, 'nope')]), /There is no file or folder at/);
  });
});
