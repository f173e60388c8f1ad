// Measures the Kneser-Ney character n-gram on TypeScript sources, split by file:
// held-out bits/char, counting speed, memory, predict µs/call (times are CPU time of this process).
//
//   npx tsx bench/ngram.bench.ts [--order 10] [--limit CHARS] [--all] [--json] [path ...]
//
// Paths default to this repo's src/, test/ and bench/. Every file whose path hashes to 0 mod 10 is
// held out. --all also walks node_modules folders (a bigger corpus: e.g. `node_modules`).
// The vocabulary is the training files' characters plus UNK (held-out characters outside it are
// scored as UNK, not spread over code points as `eval` does).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CharNGram } from '../src/complete/ngram';

interface Args { order: number; limit: number; all: boolean; json: boolean; paths: string[] }

function parseArgs(argv: string[]): Args {
  const a: Args = { order: 10, limit: Infinity, all: false, json: false, paths: [] };
  for (let i = 0; i < argv.length; i++) {
    const s = argv[i];
    if (s === '--order') a.order = Number(argv[++i]);
    else if (s === '--limit') a.limit = Number(argv[++i]);
    else if (s === '--all') a.all = true;
    else if (s === '--json') a.json = true;
    else a.paths.push(s);
  }
  if (a.paths.length === 0) a.paths = ['src', 'test', 'bench'].filter((p) => fs.existsSync(p));
  return a;
}

function walk(p: string, all: boolean, out: string[]): void {
  const st = fs.statSync(p);
  if (st.isFile()) { if (/\.tsx?$/.test(p)) out.push(p); return; }
  for (const name of fs.readdirSync(p).sort()) {
    if (name === '.git' || name === 'dist' || (!all && name === 'node_modules')) continue;
    const q = path.join(p, name);
    const s = fs.lstatSync(q);
    if (s.isSymbolicLink()) continue;
    walk(q, all, out);
  }
}

function hash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** CPU seconds of this process since `from` (wall time misleads on a shared, busy machine). */
function cpuSince(from: NodeJS.CpuUsage): number {
  const u = process.cpuUsage(from);
  return (u.user + u.system) / 1e6;
}

function main(): void {
  const args = parseArgs(process.argv.slice(2));
  const files: string[] = [];
  for (const p of args.paths) walk(p, args.all, files);
  const train: string[] = [], held: string[] = [];
  let total = 0;
  for (const f of files) {
    if (total >= args.limit) break;
    const text = fs.readFileSync(f, 'utf8');
    total += text.length;
    (hash(f) % 10 === 0 ? held : train).push(text);
  }
  const vocab = new Map<string, number>();
  for (const t of train) for (const ch of t) if (!vocab.has(ch)) vocab.set(ch, vocab.size);
  const UNK = vocab.size, V = vocab.size + 1;
  let oov = 0;
  const encode = (t: string): Int32Array => {
    const ids = new Int32Array(t.length);
    let n = 0;
    for (const ch of t) { const id = vocab.get(ch); if (id === undefined) oov++; ids[n++] = id ?? UNK; }
    return ids.subarray(0, n);
  };
  const trainIds = train.map(encode);
  oov = 0;
  const heldIds = held.map(encode);
  const trainChars = trainIds.reduce((s, a) => s + a.length, 0);
  const heldChars = heldIds.reduce((s, a) => s + a.length, 0);

  const rssBefore = process.memoryUsage().rss;
  const model = new CharNGram(args.order, V);
  let c0 = process.cpuUsage();
  for (const ids of trainIds) model.addText(ids);
  const countSeconds = cpuSince(c0);
  const rssPeak = process.memoryUsage().rss;
  const arraysMb = model.memoryBytes() / 2 ** 20;
  model.compact();
  const trimmedMb = model.memoryBytes() / 2 ** 20;

  c0 = process.cpuUsage();
  let bits = 0, scored = 0;
  for (const ids of heldIds) if (ids.length > 1) { bits += model.bits(ids); scored += ids.length - 1; }
  const scoreSeconds = cpuSince(c0);

  // predict: every position of the held-out files, up to 200k calls
  const out = new Float32Array(V);
  let calls = 0;
  c0 = process.cpuUsage();
  outer: for (const ids of heldIds) {
    for (let i = 1; i < ids.length; i++) { model.predict(ids, i, out); if (++calls >= 200_000) break outer; }
  }
  const predictUs = cpuSince(c0) * 1e6 / Math.max(calls, 1);

  c0 = process.cpuUsage();
  const bytes = model.serialize();
  const serializeMs = cpuSince(c0) * 1000;
  c0 = process.cpuUsage();
  CharNGram.deserialize(bytes);
  const deserializeMs = cpuSince(c0) * 1000;

  const r = {
    order: args.order, vocab: V, files_train: train.length, files_heldout: held.length,
    train_chars: trainChars, heldout_chars: heldChars, heldout_oov: oov,
    heldout_bpc: +(bits / scored).toFixed(4),
    count_chars_per_s: Math.round(trainChars / countSeconds),
    score_chars_per_s: Math.round(scored / scoreSeconds),
    predict_us_per_call: +predictUs.toFixed(2), predict_calls: calls,
    nodes: model.nodeCounts, arrays_mb: +arraysMb.toFixed(1), arrays_trimmed_mb: +trimmedMb.toFixed(1),
    rss_growth_mb: +((rssPeak - rssBefore) / 2 ** 20).toFixed(1),
    serialized_mb: +(bytes.length / 2 ** 20).toFixed(1), serialize_ms: Math.round(serializeMs),
    deserialize_ms: Math.round(deserializeMs),
  };
  if (args.json) console.log(JSON.stringify(r));
  else for (const [k, v] of Object.entries(r)) console.log(`${k.padEnd(22)} ${typeof v === 'object' ? JSON.stringify(v) : v}`);
}

main();
