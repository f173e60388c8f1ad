// Fuzzing `lstm-lens complete`'s protocol through the built CLI: a few hundred lines, valid
// requests mutated (bytes flipped, cut, nested thousands deep, fields of the wrong type, huge
// numbers), from a fixed seed. The server must answer every line with one line of JSON, in
// order, and keep running to the end of its input: a bad line costs its own {"id", "error"}.
import { strict as assert } from 'node:assert';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CODE, writeTinyModel } from './complete-fixture';
import { runCli } from './cli-run';
import { Rng } from '../../src/engine/rng';

const CLI = resolve(__dirname, '../../dist/cli.js');

/** The engine's seeded generator, so every run fuzzes the same inputs. */
function rng(seed: number): () => number {
  const g = new Rng(seed);
  return () => g.next();
}

type Rand = () => number;
const int = (r: Rand, n: number) => Math.floor(r() * n);
const pick = <T>(r: Rand, xs: readonly T[]): T => xs[int(r, xs.length)];

const HOSTILE = [
  '1e400', '-1e400', '1e308', '-0', '2.5', '9007199254740993', '-1', '0', 'null', 'true', '"x"', '[]', '{}',
  '"\\ud800"', '"\\u0000"', `"${'z'.repeat(5000)}"`, '[[[[[[]]]]]]',
];

function deep(r: Rand): string {
  const n = 1000 + int(r, 9000);
  return r() < 0.5 ? '['.repeat(n) + ']'.repeat(n) : '{"a":'.repeat(n) + '1' + '}'.repeat(n);
}

/** A valid request, or a mutation of one. */
function line(r: Rand, i: number): { text: string; valid: boolean } {
  const at = 1 + int(r, CODE.length - 1);
  const request: Record<string, unknown> = { id: i, context: CODE.slice(0, at) };
  if (r() < 0.3) request.path = 'src/a.ts';
  if (r() < 0.3) request.max_chars = 1 + int(r, 40);
  if (r() < 0.2) request.suffix = CODE.slice(at, at + int(r, 20));
  const valid = JSON.stringify(request);
  switch (int(r, 8)) {
    case 0: case 1: return { text: valid, valid: true };
    case 2: {   // a field of the wrong type or a number too large
      const key = pick(r, ['id', 'context', 'max_chars', 'path', 'suffix']);
      return { text: valid.replace(/}$/, `,"${key}":${pick(r, HOSTILE)}}`).replace(new RegExp(`"${key}":[^,}]*,`), ''), valid: false };
    }
    case 3: return { text: r() < 0.5 ? deep(r) : `{"id":${i},"context":${deep(r)}}`, valid: false };
    case 4: return { text: valid.slice(0, int(r, valid.length)), valid: false };   // cut short
    case 5: {   // bytes flipped
      const chars = [...valid];
      for (let k = 1 + int(r, 3); k > 0; k--) chars[int(r, chars.length)] = String.fromCharCode(32 + int(r, 95));
      return { text: chars.join(''), valid: false };
    }
    case 6: return { text: pick(r, HOSTILE), valid: false };
    default: return { text: `{"id":{"nested":${deep(r)}},"context":"x"}`, valid: false };
  }
}

describe('fuzzing the complete protocol', function () {
  this.timeout(120_000);
  let dir: string, model: string;
  before(() => {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
    dir = mkdtempSync(join(tmpdir(), 'lstm-lens-complete-fuzz-'));
    model = writeTinyModel(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('answers every one of 400 random and mutated lines with JSON, in order, and keeps running', function () {
    const r = rng(2026);
    const lines = Array.from({ length: 400 }, (_, i) => line(r, i));
    // the protocol skips blank lines; a line break inside a mutation would make two lines
    const sent = lines.map((l) => ({ ...l, text: l.text.replace(/[\r\n]/g, ' ') })).filter((l) => l.text.trim() !== '');
    const out = runCli(CLI, ['complete', '--model', model], { input: sent.map((l) => l.text).join('\n') + '\n', timeoutMs: 100_000 });
    assert.equal(out.code, 0, out.stderr.slice(0, 2000));
    const replies = out.stdout.split('\n').filter(Boolean);
    assert.equal(replies.length, sent.length, 'one reply per line');
    replies.forEach((reply, k) => {
      const o = JSON.parse(reply);
      assert.ok('id' in o, reply.slice(0, 200));
      assert.ok(typeof o.completion === 'string' || typeof o.error === 'string', reply.slice(0, 200));
      if (sent[k].valid) assert.deepEqual([o.id, typeof o.completion], [JSON.parse(sent[k].text).id, 'string'], `line ${k}: ${reply.slice(0, 200)}`);
      if (typeof o.error === 'string') assert.match(o.error, /^[^\n]+\.$/, 'an error is one sentence');
    });
    assert.ok(sent.filter((l) => l.valid).length > 50 && sent.filter((l) => !l.valid).length > 200);
  });
});
