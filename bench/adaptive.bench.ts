// The adaptive predictor's cost, side by side in one process (CPU time of this process, so a busy
// machine slows every row alike): characters per CPU second of
//   lstm       the frozen LSTM alone, stepped one character at a time (predict + feed)
//   adaptive   the full adaptive predictor (LSTM, counts, match, context mixer, SSE), learning
//   without X  the adaptive predictor with part X removed
// and the memory its tables hold (count table + match history) and the process's RSS.
//
//   npx tsx bench/adaptive.bench.ts --model M.safetensors [--chars 20000] [--json] FILE
//
// Runs in this thread as the completion worker would (one thread: the worker has no other).
import * as fs from 'node:fs';
import { loadCompletionModel } from '../src/complete/load';
import { pickKernels } from '../src/runtime/kernels';
import { AdaptivePredictor, Ablation } from '../src/complete/adaptive/adaptive-predictor';
import { scoreAdaptive } from '../src/complete/adaptive/adaptive-score';
import { Stepper } from '../src/engine/stepper';

const argv = process.argv.slice(2);
const opt = (name: string) => { const i = argv.indexOf(name); return i >= 0 ? argv.splice(i, 2)[1] : undefined; };
const modelPath = opt('--model'), chars = Number(opt('--chars') ?? 20000);
const json = argv.includes('--json');
const file = argv.filter((a) => a !== '--json')[0];
if (!modelPath || !file) { console.error('usage: npx tsx bench/adaptive.bench.ts --model M.safetensors [--chars N] [--json] FILE'); process.exit(2); }

const { model } = loadCompletionModel(modelPath, pickKernels().kernels);
const ids = model.encode(fs.readFileSync(file, 'utf8').slice(0, chars));
const cpuSeconds = (f: () => void) => { const t = process.cpuUsage(); f(); const d = process.cpuUsage(t); return (d.user + d.system) / 1e6; };

const rows: { run: string; chars_per_cpu_s: number; bpc?: number; table_mib?: number }[] = [];
{
  const st = new Stepper(model.rnn), out = new Float32Array(model.V);
  const s = cpuSeconds(() => { for (let i = 0; i < ids.length; i++) { st.probs(1, out); st.feed(ids[i]); } });
  rows.push({ run: 'lstm', chars_per_cpu_s: Math.round(ids.length / s) });
}
for (const without of [[], ['sse'], ['ctxmix'], ['match'], ['counts'], ['lstm']] as Ablation[][]) {
  const p = new AdaptivePredictor(model, { without: new Set(without) });
  let bpc = 0;
  const s = cpuSeconds(() => { const r = scoreAdaptive(p, model, [ids]); bpc = r.bits / r.chars; });
  rows.push({ run: without.length ? `without ${without[0]}` : 'adaptive', chars_per_cpu_s: Math.round(ids.length / s), bpc, table_mib: p.memoryBytes / 2 ** 20 });
}
const rss = process.memoryUsage().rss / 2 ** 20;
if (json) console.log(JSON.stringify({ model: model.rnn.config, chars: ids.length, rows, rss_mib: rss }));
else {
  const c = model.rnn.config;
  console.log(`${c.layers}×${c.hidden} ${c.cell}, V = ${model.V}, ${ids.length} characters; CPU time of this process`);
  console.log('| run | chars / CPU s | bits/char | tables MiB |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.run} | ${r.chars_per_cpu_s} | ${r.bpc?.toFixed(3) ?? ''} | ${r.table_mib?.toFixed(0) ?? ''} |`);
  console.log(`process RSS ${rss.toFixed(0)} MiB`);
}
