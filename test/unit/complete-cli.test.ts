// `lstm-lens complete` over JSON lines, `eval --mixture`, and the n-gram counts that `train`
// writes beside the checkpoint: the CLI bundled as it ships, in a child process.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as esbuild from 'esbuild';
import { Completer } from '../../src/complete/completer';
import { loadCompletionModel } from '../../src/complete/load';
import { decodeNGramFile, vocabFingerprint } from '../../src/complete/ngram-file';
import { decodeSettings } from '../../src/complete/decode-settings';
import { fileHeader } from '../../src/corpus/build';
import { createRefKernels } from '../../src/engine/kernels-ref';
import { loadCheckpoint } from '../../src/model-files/checkpoint-file';
import { assertOneSentence, runCli } from './cli-run';
import { CODE, writeTinyModel } from './complete-fixture';
import { ngramPathFor } from '../../src/model-files/paths';

const ROOT = path.join(__dirname, '..', '..');

describe('lstm-lens complete and eval --mixture', function () {
  this.timeout(60_000);
  let tmp: string, cli: string, model: string;

  const run = (args: string[], input?: string) => runCli(cli, args, { input, timeoutMs: 60_000 });

  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-complete-'));
    cli = path.join(tmp, 'cli.js');
    await esbuild.build({ entryPoints: [path.join(ROOT, 'src/cli/main.ts')], outfile: cli, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
    model = writeTinyModel(path.join(tmp, 'm'));
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('answers JSON lines in order, with the engine\'s completions, one error per bad line', () => {
    const ctx = CODE.slice(0, CODE.indexOf('private co') + 'private co'.length);
    const lines = [
      { id: 1, context: ctx, path: 'src/greet.ts' },
      { id: 'two', context: ctx + 'unt', path: 'src/greet.ts', max_chars: 3 },
      'not json at all',
      { id: 4, path: 'src/greet.ts' },
      { id: 5, context: 'const 名前 = "😀";\nexport function ', max_chars: 40 },
      { id: 6, context: ctx, path: 'src/greet.ts', suffix: 'unt = 0;\n' },
    ].map((l) => (typeof l === 'string' ? l : JSON.stringify(l)));
    const r = run(['complete', '--model', model, '--backend', 'ref', '--threshold', 'inf'], lines.join('\n') + '\n');
    assert.equal(r.code, 0, r.stderr);
    const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(out.map((o) => o.id), [1, 'two', null, 4, 5, 6]);
    // the same engine in process gives the same first completion
    const { model: m } = loadCompletionModel(model, createRefKernels());
    const engine = new Completer(m);
    const direct = engine.completeAlone({ docId: 'src/greet.ts', text: ctx, offset: ctx.length, header: fileHeader('src/greet.ts'), settings: decodeSettings({ threshold: Infinity }) });
    assert.equal(out[0].completion, direct.items[0]?.text ?? '');
    assert.equal(out[0].completion, 'unt = 0;');
    assert.ok(typeof out[1].completion === 'string' && out[1].completion.length <= 3, JSON.stringify(out[1]));
    assert.match(out[2].error, /not JSON/);
    assert.match(out[3].error, /"context" must be a string/);
    assert.equal(typeof out[4].completion, 'string');
    assert.equal(out[5].completion, '', 'nothing that only repeats the text after the cursor');
  });

  it('answers each request from its own context only: the same request gets the same answer whatever came before', () => {
    const a = { id: 'a', context: CODE.slice(0, CODE.indexOf('return this.co') + 'return this.co'.length), path: 'src/greet.ts' };
    // a different file, a different place, a context that adapts the n-gram and the mixer otherwise
    const b = { id: 'b', context: 'def f(x):\n    return x + 1\n'.repeat(30) + 'def g(y):\n    ret', path: 'src/other.py' };
    const c = { ...a, id: 'c', context: a.context.replace('count', 'total') };
    const lines = [a, a, b, a, c, a, { ...a, path: undefined }, a].map((l) => JSON.stringify(l)).join('\n') + '\n';
    for (const component of ['mixture', 'ngram', 'lstm']) {
      const r = run(['complete', '--model', model, '--backend', 'ref', '--threshold', 'inf', '--alternatives', '3', '--component', component], lines);
      assert.equal(r.code, 0, r.stderr);
      const out = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
      const answersToA = [0, 1, 3, 5, 7].map((i) => out[i]);
      assert.ok(answersToA[0].completions.length > 0, JSON.stringify(out[0]));
      for (const o of answersToA) assert.deepEqual(o, answersToA[0], `${component}: the same request, the same answer`);
      // and the same as a server that saw nothing else
      const alone = run(['complete', '--model', model, '--backend', 'ref', '--threshold', 'inf', '--alternatives', '3', '--component', component], JSON.stringify(a) + '\n');
      assert.deepEqual(JSON.parse(alone.stdout), answersToA[0], component);
    }
  });

  it('reports the closers after the cursor that a completion writes itself, and its confidence', () => {
    const r = run(['complete', '--model', model, '--backend', 'ref', '--threshold', 'inf', '--component', 'ngram'],
      JSON.stringify({ id: 1, context: 'export function greet(name: string): string {\n  if (', suffix: ')', path: 'src/greet.ts' }) + '\n');
    assert.equal(r.code, 0, r.stderr);
    const o = JSON.parse(r.stdout);
    assert.equal(o.completion, "name === '') {", JSON.stringify(o));
    assert.equal(o.replace, 1, 'it replaces the ) after the cursor');
    assert.ok(o.mean_bits > 0 && o.mean_bits < 2, JSON.stringify(o));
  });

  it('leaves out unsure completions under the default threshold, and refuses bad options', () => {
    const r = run(['complete', '--model', model, '--backend', 'ref', '--component', 'lstm'], JSON.stringify({ id: 1, context: 'export function ' }) + '\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { id: 1, completion: '' });
    const bad = run(['complete', '--model', model, '--threshold', '0'], '');
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--threshold must be a positive number/);
    const missing = run(['complete', '--model', path.join(tmp, 'nope.safetensors')], '');
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /^lstm-lens: There is no checkpoint at .*\.\n$/);
  });

  it('eval --mixture scores the mixture and each component', () => {
    const dir = path.join(tmp, 'src');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'greet.ts'), CODE);
    // the LSTM frozen (--dynamic off), so that its part is what plain eval scores
    const mix = run(['eval', '--model', model, '--mixture', '--dynamic', 'off', '--json', dir]);
    assert.equal(mix.code, 0, mix.stderr);
    const m = JSON.parse(mix.stdout);
    const plain = JSON.parse(run(['eval', '--model', model, '--json', dir]).stdout);
    assert.ok(Math.abs(m.lstm_bpc - plain.bpc) < 1e-3, `LSTM alone ${m.lstm_bpc} vs eval ${plain.bpc}`);
    assert.equal(m.chars, plain.chars);
    assert.ok(m.ngram_bpc < m.lstm_bpc - 1, 'the n-gram knows this text; the untrained LSTM does not');
    assert.ok(m.bpc < m.lstm_bpc && m.bpc < m.ngram_bpc + 0.5, JSON.stringify(m));
    const none = run(['eval', '--model', model, '--mixture', '--no-adapt', '--ngram', path.join(tmp, 'missing.bin'), dir]);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /--mixture needs the n-gram counts/);
  });

  it('eval --mixture: the adaptive predictor, its parts removed one at a time, and the old mixture', () => {
    const dir = path.join(tmp, 'src-adaptive');
    fs.mkdirSync(dir, { recursive: true });
    // the same function twice: the second copy is what the adaptive parts learn from the first
    fs.writeFileSync(path.join(dir, 'a.ts'), CODE.replace(/greet/g, 'welcome').repeat(2));
    const json = (args: string[]) => { const r = run(['eval', '--model', model, '--mixture', '--json', ...args, dir]); assert.equal(r.code, 0, r.stderr); return JSON.parse(r.stdout); };
    const full = json([]), old = json(['--no-adapt']), noMatch = json(['--without', 'match,counts']);
    assert.deepEqual(Object.keys(full.components), ['lstm', 'counts', 'match']);
    assert.deepEqual(noMatch.without, ['match', 'counts']);
    assert.equal(full.chars, old.chars);
    assert.ok(full.bpc < old.bpc, `adaptive ${full.bpc} vs the old mixture ${old.bpc}`);
    assert.ok(full.bpc < noMatch.bpc, `adaptive ${full.bpc} vs without match and counts ${noMatch.bpc}`);
    assert.ok(full.chars_per_s > 0 && full.memory_bytes > 0);
    // without counts beside the model the adaptive predictor still runs, its counts filling as it reads
    const alone = run(['eval', '--model', model, '--mixture', '--json', '--ngram', path.join(tmp, 'missing.bin'), dir]);
    assert.equal(alone.code, 0, alone.stderr);
    for (const [args, re] of [
      [['--without', 'ssee'], /--without takes parts among lstm, corpus, counts, match, ctxmix, sse, not "ssee"\./],
      [['--no-adapt', '--without', 'sse'], /give one of them\./],
    ] as [string[], RegExp][]) {
      const bad = run(['eval', '--model', model, '--mixture', ...args, dir]);
      assert.equal(bad.code, 2);
      assertOneSentence(bad.stderr);
      assert.match(bad.stderr, re);
    }
    const noMix = run(['eval', '--model', model, '--no-adapt', dir]);
    assert.equal(noMix.code, 2);
    assert.match(noMix.stderr, /--no-adapt applies to --mixture only\./);
  });

  it('eval --mixture --dynamic: the LSTM learning as it reads beats it frozen on a repeated text; the model file is untouched', () => {
    const dir = path.join(tmp, 'src-dynamic');
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'a.ts'), CODE.replace(/greet/g, 'salute').repeat(3));
    const before = fs.readFileSync(model);
    const json = (args: string[]) => { const r = run(['eval', '--model', model, '--mixture', '--json', ...args, dir]); assert.equal(r.code, 0, r.stderr); return JSON.parse(r.stdout); };
    const frozen = json(['--dynamic', 'off']), output = json([]), full = json(['--dynamic', 'full']);
    assert.equal(output.dynamic, 'output');
    assert.ok(output.components.lstm < frozen.components.lstm, `LSTM alone: output ${output.components.lstm} vs frozen ${frozen.components.lstm}`);
    assert.ok(full.components.lstm < frozen.components.lstm, `LSTM alone: full ${full.components.lstm} vs frozen ${frozen.components.lstm}`);
    assert.ok(fs.readFileSync(model).equals(before), 'the checkpoint was written');
    const bad = run(['eval', '--model', model, '--mixture', '--no-adapt', '--dynamic', 'full', dir]);
    assert.equal(bad.code, 2);
    assertOneSentence(bad.stderr);
    assert.match(bad.stderr, /--dynamic .* applies to --mixture without --no-adapt\./);
  });

  it('train writes the n-gram counts of its corpus beside the checkpoint', () => {
    const dir = path.join(tmp, 'corpus');
    fs.mkdirSync(path.join(dir, 'lib'), { recursive: true });
    for (let i = 0; i < 4; i++) fs.writeFileSync(path.join(dir, 'lib', `f${i}.ts`), CODE + `// file ${i}\n`);
    fs.writeFileSync(path.join(dir, 'notes.py'), 'def f(x):\n    return x + 1\n'.repeat(20));
    const out = path.join(tmp, 't', 'model.safetensors');
    fs.mkdirSync(path.dirname(out));
    const r = run(['train', dir, '--out', out, '--layers', '1', '--hidden', '8', '--seq', '16', '--batch', '2', '--steps', '3', '--threads', '1', '--backend', 'ref']);
    assert.equal(r.code, 0, r.stderr);
    const f = decodeNGramFile(fs.readFileSync(ngramPathFor(out)));
    assert.equal(f.vocab, vocabFingerprint(loadCheckpoint(out).vocab));
    assert.deepEqual(f.extensions, ['.py', '.ts']);
    // a held-out file is stored for the mixer's warm-up, with its header
    assert.ok(f.calibration.files.length >= 1);
    f.calibration.files.forEach((p, i) => assert.ok(f.calibration.streams[i].startsWith(`==> ${p} <==\n`)));
    assert.equal(f.ngram.order, 10);
    assert.ok(f.ngram.chars > CODE.length * 2, 'counted the training files');
  });
});
