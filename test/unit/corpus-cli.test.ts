// `lstm-lens corpus` writes exactly the text, split and vocabulary `lstm-lens train` uses: its
// train.txt and val.txt are byte for byte what readCorpus (the function train calls) gives, its
// vocab.json is the vocabulary of the checkpoint train writes on the same paths, and train's own
// count of training characters is train.txt's. Run on the built bundle (dist/cli.js).
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeCheckpoint } from '../../src/engine/checkpoint';
import { readCorpus } from '../../src/training/train';
import { runCli } from './cli-run';

const CLI = resolve(__dirname, '../../dist/cli.js');
const TINY = ['--layers', '1', '--hidden', '8', '--seq', '8', '--batch', '2', '--steps', '1', '--threads', '1', '--json'];

/** Source files with what the corpus rules act on: headers, a .gitignore, a binary file, CRLF,
 *  a BOM, characters outside the BMP, a file without a final newline, nested folders. */
function writeSources(root: string): void {
  mkdirSync(join(root, 'lib', 'deep'), { recursive: true });
  writeFileSync(join(root, '.gitignore'), 'ignored.js\n');
  writeFileSync(join(root, 'ignored.js'), 'never read\n');
  writeFileSync(join(root, 'blob.bin'), Buffer.from([0, 1, 2, 3, 0, 255, 0, 7]));
  for (let i = 0; i < 24; i++) {
    const body = `// file ${i}: ünïcödé ∑ 😀\nexport function f${i}(a: number): number {\n  return a * ${i}; // "quoted"\n}\n`;
    writeFileSync(join(root, i % 3 === 0 ? 'lib' : i % 3 === 1 ? join('lib', 'deep') : '.', `f${i}.ts`), body.repeat(3));
  }
  writeFileSync(join(root, 'crlf.txt'), '\uFEFFline one\r\nline two\r\n');
  writeFileSync(join(root, 'no-newline.py'), 'print("no final newline")');
}

function codePoints(s: string): number {
  return [...s].length;
}

describe('lstm-lens corpus', function () {
  let dir: string;
  let src: string;
  before(function () {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
    dir = mkdtempSync(join(tmpdir(), 'lstm-lens-corpus-'));
    src = join(dir, 'src');
    mkdirSync(src);
    writeSources(src);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const raw of [false, true]) {
    it(`writes the text${raw ? ' (--raw)' : ', split'} and vocabulary train uses, byte for byte`, async function () {
      const out = join(dir, raw ? 'corpus-raw' : 'corpus');
      const r = runCli(CLI, ['corpus', src, '--out', out, ...(raw ? ['--raw'] : [])]);
      assert.equal(r.code, 0, r.stderr);
      const train = readFileSync(join(out, 'train.txt'));
      const val = readFileSync(join(out, 'val.txt'));
      const vocab = JSON.parse(readFileSync(join(out, 'vocab.json'), 'utf8')) as string[];

      // what train reads
      const text = await readCorpus({ kind: 'paths', paths: [src], raw });
      assert.ok(train.equals(Buffer.from(text.train, 'utf8')), 'train.txt is the training text');
      assert.ok(val.equals(Buffer.from(text.val.join(''), 'utf8')), 'val.txt is the validation streams, joined');
      if (!raw) {
        assert.ok(val.length > 0 && text.val.length > 0, 'the split holds out some files');
        assert.ok(!train.toString('utf8').includes('never read'), 'the .gitignore applies');
      }
      assert.ok(train.toString('utf8').includes('😀'));

      // what train builds from it: the checkpoint's vocabulary, and its count of characters
      const model = join(dir, raw ? 'raw.safetensors' : 'split.safetensors');
      const t = runCli(CLI, ['train', src, '--out', model, ...(raw ? ['--raw'] : []), ...TINY]);
      assert.equal(t.code, 0, t.stderr);
      assert.deepEqual(vocab, decodeCheckpoint(readFileSync(model)).vocab);
      assert.equal(vocab[vocab.length - 1], '\uFFFF', 'UNK is last');
      const said = /on ([\d,]+) characters/.exec(t.stderr);
      assert.ok(said, t.stderr);
      assert.equal(Number(said[1].replace(/,/g, '')), codePoints(train.toString('utf8')));
    });
  }

  it('refuses a file as --out, and no paths, in one sentence', function () {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    const r = runCli(CLI, ['corpus', src, '--out', file]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--out .* is a file/);
    const none = runCli(CLI, ['corpus', '--out', join(dir, 'x')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs at least one file or folder/);
  });
});
