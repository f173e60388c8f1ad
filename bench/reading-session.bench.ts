// The completion worker's adaptive predictor (src/complete/adaptive/reading-session.ts) on a real
// model: what making it costs (the dynamic LSTM's gradient statistics from the calibration text),
// how fast it reads and learns a document in the worker's 4 ms slices, the longest slice (what a
// request can wait behind), and a proposal's cost at the cursor (not part of `npm test`).
//
// usage: npx tsx bench/reading-session.bench.ts --model M --raw test.txt [--chars 50000] [--slice-ms 4]
import * as fs from 'node:fs';
import { parseArgs } from 'node:util';
import { loadCompletionModel } from '../src/complete/load';
import { ReadingSession } from '../src/complete/adaptive/reading-session';
import { pickKernels } from '../src/runtime/kernels';

const { values: args } = parseArgs({ options: { model: { type: 'string' }, raw: { type: 'string' }, chars: { type: 'string' }, 'slice-ms': { type: 'string' } } });
if (!args.model || !args.raw) {
  console.error('usage: npx tsx bench/reading-session.bench.ts --model M --raw test.txt [--chars 50000] [--slice-ms 4]');
  process.exit(2);
}
const chars = Number(args.chars ?? 50_000), sliceMs = Number(args['slice-ms'] ?? 4);
const { model } = loadCompletionModel(args.model, pickKernels('auto').kernels);
const text = fs.readFileSync(args.raw, 'utf8').slice(0, chars);
const docs = new Map([['doc', text]]);

let t = performance.now();
const session = new ReadingSession(model, (uri) => docs.get(uri));
const makeMs = performance.now() - t;
session.cursorAt('doc', text.length);
let slices = 0, longest = 0, longestCpu = 0, readAt = 0, over10 = 0;
const cpu0 = process.cpuUsage();
t = performance.now();
for (;;) {
  const s0 = performance.now(), end = s0 + sliceMs, c0 = process.cpuUsage();
  const done = session.work(() => performance.now() >= end);
  slices++;
  const took = performance.now() - s0, c1 = process.cpuUsage(c0);
  longestCpu = Math.max(longestCpu, (c1.user + c1.system) / 1000);
  longest = Math.max(longest, took);
  if (took > 10) over10++;
  if (!readAt && session.charsRead >= model.encode(text).length) readAt = performance.now() - t;
  if (done) break;
}
const wallMs = performance.now() - t;
const cpu = process.cpuUsage(cpu0), cpuMs = (cpu.user + cpu.system) / 1000;
const times: number[] = [];
let proposed = 0;
for (let i = 0; i < 20; i++) {
  const p0 = performance.now();
  if (session.proposal('doc', text.length, () => false)) proposed++;
  times.push(performance.now() - p0);
}
times.sort((a, b) => a - b);
const c = model.rnn.config;
console.log(JSON.stringify({
  model: `${c.layers}x${c.hidden} ${c.cell}`, chars: text.length, makeMs: Math.round(makeMs),
  readMs: Math.round(readAt), readAndLearnedMs: Math.round(wallMs), cpuMs: Math.round(cpuMs),
  charsPerCpuSecond: Math.round(text.length / (cpuMs / 1000)), learningSteps: session.lstm.steps, dropped: session.lstm.droppedChars,
  slices, slicesOver10ms: over10, longestSliceMs: +longest.toFixed(2), longestSliceCpuMs: +longestCpu.toFixed(2), proposalMedianMs: +times[10].toFixed(3), proposed,
}));
