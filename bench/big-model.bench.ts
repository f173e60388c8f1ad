// Inference cost of a model, through the CLI as a user (and the extension's workers) pays it:
//
//   sample    ms per generated character: `lstm-lens sample --length N` minus `--length 20`
//             (so the process start and the model load cancel out)
//   complete  ms per request of `lstm-lens complete` with a 2,000-character context: the first
//             request of a path (the whole context read), then one character typed at its end
//             (the state cache reads one character); the first request of the process is a warm-up
//   cells     ms of `lstm-lens trace --cells 0:1 --json` on a 2,000-line file minus on a one-line
//             file: the model's pass over the file, what the cells panel's worker does for it
//   load      ms of that one-line trace: process start and reading the model
//
// usage: node --import tsx bench/big-model.bench.ts --model FILE [--model FILE2 ...] [--text FILE]
//          [--sample-chars 1000] [--requests 5] [--lines 2000] [--json]
//   a 3×1024 LSTM to try it on, in seconds:
//     node dist/cli.js train --raw SOMEFILE --out big.safetensors --layers 3 --hidden 1024 --steps 1 --seq 16 --batch 1
//   --text: the code the contexts and the 2,000-line file are cut from (default: src/**/*.ts).
//   Each number goes to stderr as soon as it is measured (a 3×1024's 2,000 lines take minutes).
// Needs `npm run build` (dist/cli.js). Wall-clock times: on a shared machine run it twice.
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { readCheckpointHeader } from '../src/model-files/checkpoint-file';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string', multiple: true }, text: { type: 'string' }, 'sample-chars': { type: 'string' },
    requests: { type: 'string' }, lines: { type: 'string' }, json: { type: 'boolean' },
  },
});
if (!args.model?.length) { console.error('usage: node --import tsx bench/big-model.bench.ts --model FILE [--model FILE2] [--text FILE] [--json]'); process.exit(2); }
const ROOT = path.join(__dirname, '..');
const CLI = path.join(ROOT, 'dist', 'cli.js');
if (!fs.existsSync(CLI)) { console.error('dist/cli.js is missing: run npm run build first'); process.exit(2); }
const sampleChars = Number(args['sample-chars'] ?? 1000);
const requests = Number(args.requests ?? 5);
const lineCount = Number(args.lines ?? 2_000);
const log = (s: string) => process.stderr.write(s + '\n');

function sourceText(): string {
  if (args.text) return fs.readFileSync(args.text, 'utf8');
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p); else if (p.endsWith('.ts')) out.push(fs.readFileSync(p, 'utf8'));
    }
  };
  walk(path.join(ROOT, 'src'));
  return out.join('\n');
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

const TIME = fs.existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Wall ms of one CLI run, and its CPU ms (user + system, all threads; with /usr/bin/time, else
 *  NaN): on a shared machine the CPU time is what the run costs with a core to itself. */
function timeCli(argv: string[]): { wall: number; cpu: number } {
  const out = path.join(os.tmpdir(), `lstm-lens-time-${process.pid}`);
  const [cmd, pre] = TIME ? [TIME, ['-f', '%U %S', '-o', out, process.execPath]] : [process.execPath, []];
  const t0 = performance.now();
  const r = spawnSync(cmd, [...pre, CLI, ...argv], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`lstm-lens ${argv[0]} failed: ${r.stderr}`);
  let cpu = NaN;
  if (TIME) { const [u, sy] = fs.readFileSync(out, 'utf8').trim().split(/\s+/).slice(-2).map(Number); cpu = (u + sy) * 1000; fs.rmSync(out, { force: true }); }
  return { wall, cpu };
}
const medianOf = (runs: { wall: number; cpu: number }[]) => ({ wall: median(runs.map((r) => r.wall)), cpu: median(runs.map((r) => r.cpu)) });
const per = (a: number, b: number, n: number) => +((b - a) / n).toFixed(3);

/** Round trips of `lstm-lens complete`, one request at a time. */
async function completeLatency(model: string, text: string): Promise<{ coldMs: number; keystrokeMs: number }> {
  const child = spawn(process.execPath, [CLI, 'complete', '--model', model], { stdio: ['pipe', 'pipe', 'inherit'] });
  let buf = '';
  const waiting: ((line: string) => void)[] = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) { const line = buf.slice(0, i); buf = buf.slice(i + 1); waiting.shift()?.(line); }
  });
  const ask = (req: object) => new Promise<number>((resolve, reject) => {
    const t0 = performance.now();
    waiting.push((line) => { const r = JSON.parse(line); if (r.error) reject(new Error(r.error)); else resolve(performance.now() - t0); });
    child.stdin.write(JSON.stringify(req) + '\n');
  });
  const cold: number[] = [], warm: number[] = [];
  await ask({ id: 'warm-up', context: text.slice(0, 200), max_chars: 40, path: 'warm-up.ts' });
  for (let k = 0; k < requests; k++) {
    const at = 2_000 + k * 2_500;
    const context = text.slice(at - 2_000, at);
    cold.push(await ask({ id: `c${k}`, context, max_chars: 40, path: `f${k}.ts` }));
    warm.push(await ask({ id: `w${k}`, context: text.slice(at - 2_000, at + 1), max_chars: 40, path: `f${k}.ts` }));
  }
  child.stdin.end();
  await new Promise((r) => child.on('close', r));
  return { coldMs: median(cold), keystrokeMs: median(warm) };
}

async function main(): Promise<void> {
  const text = sourceText();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-big-'));
  const lines = text.split('\n');
  if (lines.length < lineCount || text.length < 2_000 + requests * 2_500) throw new Error(`--text is too short: it needs ${lineCount} lines`);
  const file2000 = path.join(tmp, 'lines.ts'), file1 = path.join(tmp, 'line1.ts');
  fs.writeFileSync(file2000, lines.slice(0, lineCount).join('\n') + '\n');
  fs.writeFileSync(file1, lines[0] + '\n');
  const results = [];
  for (const model of args.model!) {
    const { config } = await readCheckpointHeader(model);
    const name = `${config.layers}×${config.hidden} ${config.cell.toUpperCase()}`;
    log(`${name} (${path.basename(model)}):`);
    const s0 = medianOf([0, 1].map(() => timeCli(['sample', '--model', model, '--length', '20'])));
    const s1 = medianOf([0, 1].map(() => timeCli(['sample', '--model', model, '--length', String(20 + sampleChars)])));
    const sample = { wall: per(s0.wall, s1.wall, sampleChars), cpu: per(s0.cpu, s1.cpu, sampleChars) };
    log(`  sample: ${sample.wall} ms/char (${sample.cpu} CPU-ms/char)`);
    const c = await completeLatency(model, text);
    log(`  complete: ${Math.round(c.coldMs)} ms with a new 2,000-character context, ${Math.round(c.keystrokeMs)} ms a keystroke later`);
    const t1 = medianOf([0, 1].map(() => timeCli(['trace', '--model', model, file1, '--cells', '0:1', '--json'])));
    log(`  start and load: ${Math.round(t1.wall)} ms (${Math.round(t1.cpu)} CPU-ms)`);
    const tn = timeCli(['trace', '--model', model, file2000, '--cells', '0:1', '--json']);   // once: minutes for a big model
    const cells = { wall: Math.round(tn.wall - t1.wall), cpu: Math.round(tn.cpu - t1.cpu) };
    log(`  cells: ${cells.wall} ms (${cells.cpu} CPU-ms) for ${lineCount} lines`);
    results.push({
      model: name, file: path.basename(model), bytes: fs.statSync(model).size,
      sample_ms_per_char: sample.wall, sample_cpu_ms_per_char: sample.cpu,
      complete_cold_2000_ms: Math.round(c.coldMs), complete_keystroke_ms: Math.round(c.keystrokeMs),
      cells_lines: lineCount, cells_ms: cells.wall, cells_cpu_ms: cells.cpu, cells_chars: fs.readFileSync(file2000, 'utf8').length,
      load_ms: Math.round(t1.wall),
    });
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  if (args.json) { console.log(JSON.stringify(results)); return; }
  console.log(`model        sample ms/ch (CPU)  complete 2000 ms  keystroke ms  cells ${lineCount} lines ms (CPU)  start+load ms`);
  for (const r of results) {
    console.log(`${r.model.padEnd(12)} ${`${r.sample_ms_per_char} (${r.sample_cpu_ms_per_char})`.padStart(18)}  ${String(r.complete_cold_2000_ms).padStart(16)}  ` +
      `${String(r.complete_keystroke_ms).padStart(12)}  ${`${r.cells_ms} (${r.cells_cpu_ms})`.padStart(25)}  ${String(r.load_ms).padStart(13)}`);
  }
  console.log(`(the ${lineCount}-line file: ${results[0].cells_chars} characters; ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)})`);
}

main().catch((e) => { console.error(e); process.exit(1); });
