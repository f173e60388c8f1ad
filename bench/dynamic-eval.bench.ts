// Dynamic evaluation of the LSTM (src/complete/adaptive): test bits/char of the LSTM alone,
// frozen and adapting ('output', 'full' at a few settings), and the characters per second each
// reads, side by side in one run (not part of `npm test`).
//
// usage: npx tsx bench/dynamic-eval.bench.ts --model M --raw test.txt [--stats val.txt]
//          [--max-chars 50000] [--stats-chars 20000] [--configs "off;output;full:segment=20,lr=5e-5"] [--json]
//   a config: mode[:key=value,...], keys segment, lr, decay, eps, warmup, learnEvery (DynamicEvalOptions), online
//
// The test text is read as one stream from its start, as `eval --raw` reads it: every character
// but the first is scored from what came before, then fed, then learned from (adaptPending after
// every character, so the figures do not depend on timing). A character outside the vocabulary
// costs P(UNK) spread over the code points outside it. --stats: the text the gradient statistics
// come from (default: val.txt beside the test text, the held-out files of the training
// distribution, which is what the model's calibration text is in the editor; "none": the first
// text read; per config: "online=1"). chars/s is per CPU-second of this process (single-threaded work: what it reads with
// a core to itself on a shared machine); wall-clock chars/s beside it.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { DynamicEvalOptions, DynamicLstm } from '../src/complete/adaptive/dynamic-lstm';
import { GradientStats, rangesFrom, rmsStep } from '../src/complete/adaptive/rms-step';
import { SegmentGradient } from '../src/complete/adaptive/segment-gradient';
import { CharRNN } from '../src/engine/model';
import { Stepper } from '../src/engine/stepper';
import { loadModel } from '../src/model-files/load-model';
import { pickKernels } from '../src/runtime/kernels';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' }, raw: { type: 'string' }, stats: { type: 'string' }, 'max-chars': { type: 'string' },
    'stats-chars': { type: 'string' }, configs: { type: 'string' }, json: { type: 'boolean' },
  },
});
if (!args.model || !args.raw) {
  console.error('usage: npx tsx bench/dynamic-eval.bench.ts --model M --raw test.txt [--stats val.txt|none] [--max-chars N] [--configs "off;output;full:segment=20"] [--json]');
  process.exit(2);
}
const log = (s: string) => process.stderr.write(s + '\n');

const DEFAULT_CONFIGS = 'off;output;full:segment=10;full:segment=20;full:segment=50';

/** "full:segment=20,lr=3e-3" -> options; "online=1": statistics from the first text read. */
function parseConfig(spec: string): DynamicEvalOptions & { online?: number } {
  const [mode, rest] = spec.split(':');
  const opts: DynamicEvalOptions & { online?: number } = { mode: mode as DynamicEvalOptions['mode'] };
  for (const kv of (rest ?? '').split(',').filter(Boolean)) {
    const [k, v] = kv.split('=');
    if (k === 'online') { opts.online = Number(v); continue; }
    if (!['segment', 'lr', 'decay', 'eps', 'warmup', 'learnEvery'].includes(k)) throw new Error(`Unknown setting "${k}" in "${spec}".`);
    (opts as unknown as Record<string, number>)[k] = Number(v);
  }
  return opts;
}

const { kernels, description } = pickKernels('auto');
const { model, vocab } = loadModel(args.model, kernels, 1, 1);
const maxChars = Number(args['max-chars'] ?? 50000);
const statsChars = Number(args['stats-chars'] ?? 20000);
const ids = vocab.encode(fs.readFileSync(args.raw, 'utf8')).subarray(0, maxChars);
const statsPath = args.stats ?? path.join(path.dirname(args.raw), 'val.txt');
const statsText = statsPath !== 'none' && fs.existsSync(statsPath) ? [vocab.encode(fs.readFileSync(statsPath, 'utf8').slice(0, 4 * statsChars))] : undefined;
const oovCost = vocab.unkId >= 0 ? Math.log2(vocab.outOfVocabCodePoints) : 0;
const cfg = model.config;
log(`${cfg.layers}×${cfg.hidden} ${cfg.cell}, V ${cfg.vocabSize}, ${description}; ${ids.length} test characters of ${args.raw}; statistics: ${statsText ? `${statsChars} characters of ${statsPath}` : 'the first text read'}`);

interface Row { config: string; bpc: number; charsPerCpuS: number; charsPerWallS: number; statsS: number; steps: number }
const rows: Row[] = [];
const p = new Float32Array(cfg.vocabSize);
for (const spec of (args.configs ?? DEFAULT_CONFIGS).split(';').filter(Boolean)) {
  const { online, ...parsed } = parseConfig(spec);
  const opts = { ...parsed, statsText: online ? undefined : statsText, statsChars };
  const t0 = process.cpuUsage();
  const dyn = new DynamicLstm(model, opts);
  const statsS = cpuSeconds(t0);
  const c0 = process.cpuUsage(), w0 = performance.now();
  let bits = 0;
  for (let i = 0; i < ids.length; i++) {
    if (i > 0) {
      const t = ids[i];
      dyn.probs(p);
      bits += -Math.log2(Math.max(p[t], 1e-30)) + (t === vocab.unkId ? oovCost : 0);
    }
    dyn.feed(ids[i]);
    dyn.adaptPending();
  }
  const cpu = cpuSeconds(c0), wall = (performance.now() - w0) / 1000;
  const row = { config: spec, bpc: bits / (ids.length - 1), charsPerCpuS: ids.length / cpu, charsPerWallS: ids.length / wall, statsS, steps: dyn.steps };
  rows.push(row);
  log(`${spec.padEnd(40)} ${row.bpc.toFixed(4)} bpc  ${Math.round(row.charsPerCpuS)} chars/CPU-s  ${Math.round(row.charsPerWallS)} chars/s wall  stats ${statsS.toFixed(1)} s  ${row.steps} steps`);
}

const costs = breakdown(20);
log(`one 'full' step on 20 characters, CPU ms: gradient ${costs.gradientMs.toFixed(2)}, update ${costs.updateMs.toFixed(2)}, repacking the stepper's weights ${costs.repackMs.toFixed(2)}; one stepper character ${costs.feedMs.toFixed(3)}`);

if (args.json) console.log(JSON.stringify({ model: args.model, test: args.raw, chars: ids.length, rows, costs }));
else {
  const off = rows.find((r) => r.config === 'off');
  console.log('| config | test bits/char | vs frozen | chars/CPU-s | chars/s wall | statistics CPU-s |');
  console.log('|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.config} | ${r.bpc.toFixed(3)} | ${off ? (r.bpc - off.bpc).toFixed(3) : '–'} | ${Math.round(r.charsPerCpuS)} | ${Math.round(r.charsPerWallS)} | ${r.statsS.toFixed(1)} |`);
  }
}

/** CPU milliseconds of the parts of a 'full' step on T characters, each the median of 15 runs. */
function breakdown(T: number) {
  const copy = new CharRNN({ ...cfg, dropout: 0 }, kernels, 1, T);
  copy.params.set(model.params);
  const g = new SegmentGradient(copy), stepper = new Stepper(copy);
  const stats = new GradientStats(copy.params.length, rangesFrom(copy.layout.tensors));
  const start = new Float32Array(2 * cfg.layers * cfg.hidden), theta0 = model.params.slice();
  const seg = ids.subarray(0, T + 1);
  g.compute(seg, T, start); stats.add(copy.grads);
  const median = (f: () => void) => {
    const xs: number[] = [];
    for (let r = 0; r < 15; r++) { const c = process.cpuUsage(); f(); xs.push(cpuSeconds(c) * 1000); }
    return xs.sort((a, b) => a - b)[7];
  };
  const hyper = { lr: 0, decay: 0, eps: 0.01 };   // lr 0, decay 0: the same loop, the weights unchanged
  return {
    gradientMs: median(() => g.compute(seg, T, start)),
    updateMs: median(() => rmsStep(copy.params, copy.grads, theta0, stats, hyper)),
    repackMs: median(() => stepper.refresh()),
    feedMs: median(() => { for (let i = 0; i < 100; i++) stepper.feed(ids[i]); }) / 100,
  };
}

function cpuSeconds(from: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(from);
  return (d.user + d.system) / 1e6;
}
