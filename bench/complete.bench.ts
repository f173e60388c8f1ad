// Completion benchmarks (not part of `npm test`):
//
//   latency  request -> items on a 50,000-character file, typing at its end and in its middle
//            (p50, p95), and the first request on a document not seen before; in process (the
//            engine) and through the completion worker as the extension uses it
//   quality  on held-out files of a real codebase (the files `lstm-lens train` held out, split
//            by file): bits per char, the share of positions whose completion is exactly the rest
//            of the line, and the mean length of the correct prefix, for the LSTM alone, the
//            10-gram alone and the mixture (the same model and counts, trained on the same files;
//            the few held-out files stored for the mixer's warm-up are left out)
//
// usage: node --import tsx bench/complete.bench.ts --model FILE [--corpus DIR] [--only latency|quality]
//          [--keystrokes 200] [--positions 1500] [--max-quality-chars N] [--json]
//   FILE: a checkpoint trained by `lstm-lens train DIR --out FILE` (model.ngram.bin beside it);
//   DIR (default node_modules/@azure/msal-browser/src): the training folder, whose held-out
//   files are scored. The worker measurement needs `npm run build` (dist/completion-worker.js).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { Completer } from '../src/complete/completer';
import { loadCompletionModel } from '../src/complete/load';
import type { CompletionModel } from '../src/complete/completion-model';
import { scoreStreams, warmMixer } from '../src/complete/score';
import { Component, decodeSettings, DecodeSettings } from '../src/complete/decode-settings';
import { buildCorpus, fileHeader } from '../src/corpus/build';
import { collectCorpus } from '../src/corpus/collect';
import { Rng } from '../src/engine/rng';
import { pickKernels } from '../src/runtime/kernels';
import { CompletionClient } from '../src/extension/completions/client';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' }, corpus: { type: 'string' }, only: { type: 'string' }, keystrokes: { type: 'string' },
    positions: { type: 'string' }, 'max-quality-chars': { type: 'string' }, json: { type: 'boolean' },
  },
});
if (!args.model) { console.error('usage: node --import tsx bench/complete.bench.ts --model FILE [--corpus DIR] [--only latency|quality] [--json]'); process.exit(2); }
const ROOT = path.join(__dirname, '..');
const corpusDir = args.corpus ?? path.join(ROOT, 'node_modules/@azure/msal-browser/src');
const log = (s: string) => process.stderr.write(s + '\n');

const pct = (xs: number[], p: number) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(p / 100 * s.length))]; };
const stats = (xs: number[]) => ({ n: xs.length, p50: +pct(xs, 50).toFixed(2), p95: +pct(xs, 95).toFixed(2), max: +Math.max(...xs).toFixed(2) });
/** CPU milliseconds of this process (all threads) since `from`: on a machine shared with other
 *  work, what a request costs when it has a core to itself (wall time includes waiting for one). */
const cpuMs = (from: NodeJS.CpuUsage) => { const d = process.cpuUsage(from); return (d.user + d.system) / 1000; };

interface HeldOut { relPath: string; text: string }

async function heldOutFiles(): Promise<HeldOut[]> {
  const c = await collectCorpus([corpusDir], {});
  const split = buildCorpus(c.files, {});   // the split `lstm-lens train` makes (10 %, seed 1)
  const byPath = new Map(c.files.map((f) => [f.relPath, f.text]));
  return split.valFiles.map((p) => ({ relPath: p, text: byPath.get(p)! }));
}

// ---- latency -----------------------------------------------------------------------------

/** 50,000 characters of held-out code ending at a line end: the largest file, or several. */
function latencyDoc(files: HeldOut[]): { text: string; relPath: string } {
  const sorted = [...files].sort((a, b) => b.text.length - a.text.length);
  let text = sorted[0].text;
  for (let i = 1; text.length < 50_000 && i < sorted.length; i++) text += sorted[i].text;
  text = text.slice(0, 50_000);
  return { text, relPath: sorted[0].relPath };
}

async function latency(model: CompletionModel, files: HeldOut[], keystrokes: number) {
  const { text, relPath } = latencyDoc(files);
  const header = fileHeader(relPath);
  const settings = decodeSettings({});
  const out: Record<string, unknown> = { file_chars: text.length, keystrokes };

  // in process: the engine alone
  const engine = new Completer(model);
  const first: number[] = [], firstCpu: number[] = [];
  const rng = new Rng(1);
  // a warm-up document (JIT), then unseen documents at random line ends
  engine.complete({ docId: 'warm', text, offset: text.length, header, settings });
  for (let i = 0; i < 8; i++) {
    const at = text.indexOf('\n', Math.floor(rng.next() * text.length * 0.9) + 2000);
    const c0 = process.cpuUsage();
    const r = engine.complete({ docId: `unseen-${i}`, text, offset: at, header, settings });
    firstCpu.push(cpuMs(c0));
    first.push(r.ms);
  }
  out.engine_first_request_ms = stats(first);
  out.engine_first_request_cpu_ms = stats(firstCpu);
  // every keystroke decoding afresh (as when the user types something other than the completion
  // shown), and with the completion shown kept while the user types it
  const fresh = new Completer(model, { reuseShown: false });
  fresh.complete({ docId: 'warm', text, offset: text.length, header, settings });
  for (const [label, eng] of [['', fresh], ['_following', engine]] as const)
  for (const where of ['end', 'middle'] as const) {
    const at = where === 'end' ? text.length - keystrokes : text.lastIndexOf('\n', text.length >> 1) + 1;
    const typed = text.slice(at, at + keystrokes);
    let doc = text.slice(0, at) + text.slice(at + keystrokes);
    const id = `typing-${where}`;
    const engine = eng;
    engine.complete({ docId: id, text: doc, offset: at, header, settings });   // the document was open before
    const ms: number[] = [], cpu: number[] = [], fed: number[] = [], steps: number[] = [];
    for (let k = 0; k < typed.length; k++) {
      const pos = at + k;
      doc = doc.slice(0, pos) + typed[k] + doc.slice(pos);
      const c0 = process.cpuUsage();
      const t0 = performance.now();
      engine.edit(id, pos, pos, 1);
      const r = engine.complete({ docId: id, text: doc, offset: pos + 1, header, settings });
      ms.push(performance.now() - t0);
      cpu.push(cpuMs(c0));
      fed.push(r.fed);
      steps.push(r.steps);
    }
    out[`engine_typing_${where}${label}_ms`] = stats(ms);
    out[`engine_typing_${where}${label}_cpu_ms`] = stats(cpu);
    out[`engine_typing_${where}${label}_fed_mean`] = +(fed.reduce((a, b) => a + b, 0) / fed.length).toFixed(2);
    out[`engine_typing_${where}${label}_decode_steps_mean`] = +(steps.reduce((a, b) => a + b, 0) / steps.length).toFixed(1);
  }
  const t0 = performance.now();
  engine.refreshOverlay('typing-end', text, header);
  out.overlay_rebuild_50k_ms = +(performance.now() - t0).toFixed(1);

  // through the worker, as the extension host sees it (postMessage both ways included)
  const workerPath = path.join(ROOT, 'dist', 'completion-worker.js');
  if (!fs.existsSync(workerPath)) { log('dist/completion-worker.js is missing (npm run build): worker latency skipped'); return out; }
  const client = new CompletionClient({ workerPath, timeoutMs: 10_000 });
  const loaded = await client.load(path.resolve(args.model!), true);
  if (loaded.kind === 'failed') throw new Error(loaded.message);
  let version = 1;
  const sync = (uri: string, t: string) => client.sync({ uri, version, header, getText: () => t });
  sync('file:///warm.ts', text);
  await client.complete('file:///warm.ts', version, text.length, text.length, settings);
  const wFirst: number[] = [];
  for (let i = 0; i < 8; i++) {
    const uri = `file:///unseen-${i}.ts`;
    const at = text.indexOf('\n', Math.floor(rng.next() * text.length * 0.9) + 2000);
    const t1 = performance.now();
    sync(uri, text);
    await client.complete(uri, version, text.length, at, settings);
    wFirst.push(performance.now() - t1);
  }
  out.worker_first_request_ms = stats(wFirst);
  for (const where of ['end', 'middle'] as const) {
    const at = where === 'end' ? text.length - keystrokes : text.lastIndexOf('\n', text.length >> 1) + 1;
    const typed = text.slice(at, at + keystrokes);
    let doc = text.slice(0, at) + text.slice(at + keystrokes);
    const uri = `file:///typing-${where}.ts`;
    version = 1;
    sync(uri, doc);
    await client.complete(uri, version, doc.length, at, settings);
    const ms: number[] = [];
    for (let k = 0; k < typed.length; k++) {
      const pos = at + k;
      doc = doc.slice(0, pos) + typed[k] + doc.slice(pos);
      const t1 = performance.now();
      client.change(uri, ++version, [{ start: pos, end: pos, text: typed[k] }]);
      const r = await client.complete(uri, version, doc.length, pos + 1, settings);
      ms.push(performance.now() - t1);
      if (!r || r.reason === 'unsynced') throw new Error('the worker lost the document');
    }
    out[`worker_typing_${where}_ms`] = stats(ms);
  }
  await client.dispose();
  return out;
}

// ---- quality -----------------------------------------------------------------------------

interface Position { file: number; offset: number; rest: string }

/** Positions with something left on their line, sampled evenly (seeded), in file order. */
function samplePositions(files: HeldOut[], n: number): Position[] {
  const all: Position[] = [];
  let candidates = 0;
  files.forEach((f) => { for (let i = 0; i < f.text.length; i++) if (f.text[i] !== '\n') candidates++; });
  const rate = Math.min(1, n / Math.max(1, candidates));
  const rng = new Rng(42);
  files.forEach((f, file) => {
    for (let i = 0; i < f.text.length; i++) {
      if (rng.next() >= rate) continue;
      let end = f.text.indexOf('\n', i);
      if (end < 0) end = f.text.length;
      const rest = f.text.slice(i, end).replace(/\s+$/, '');
      if (rest) all.push({ file, offset: i, rest });
    }
  });
  return all;
}

function completionQuality(model: CompletionModel, files: HeldOut[], positions: Position[], component: Component) {
  const engine = new Completer(model, { mixer: warmMixer(model) });
  const settings: DecodeSettings = decodeSettings({ component, threshold: Infinity, maxChars: 200 });
  let exact = 0, prefix = 0, ms = 0;
  const seen: { bits: number; exact: boolean; prefix: number; length: number }[] = [];
  const builtAt = new Map<number, number>();
  const lastAt = new Map<number, number>();
  for (const p of positions) {
    const f = files[p.file];
    const header = fileHeader(f.relPath);
    const docId = String(p.file);
    const text = f.text.slice(0, p.offset);   // nothing after the cursor: no prediction sees its answer
    // the document grew since the last position in it (states before stay valid)
    const prev = lastAt.get(p.file);
    if (prev !== undefined) engine.edit(docId, prev, prev, p.offset - prev);
    lastAt.set(p.file, p.offset);
    const r = engine.complete({ docId, text, offset: text.length, header, settings });
    ms += r.ms;
    // the document's overlay from its prefix, now and then (the editor rebuilds it when idle)
    if (component !== 'lstm' && p.offset - (builtAt.get(p.file) ?? -Infinity) >= 2000) {
      engine.refreshOverlay(docId, text, header);
      builtAt.set(p.file, p.offset);
    }
    const got = (r.items[0]?.text ?? '').replace(/\s+$/, '');
    if (got === p.rest) exact++;
    let k = 0;
    while (k < got.length && k < p.rest.length && got[k] === p.rest[k]) k++;
    prefix += k;
    seen.push({ bits: r.items[0]?.meanBits ?? Infinity, exact: got === p.rest, prefix: k, length: got.length });
  }
  // what the confidence threshold would show: the share of positions with a completion, and how
  // good the shown ones are
  const calibration = [0.5, 1, 1.5, 2, 3].map((t) => {
    const shown = seen.filter((x) => x.bits <= t);
    const n = Math.max(1, shown.length);
    return { threshold: t, shown: +(shown.length / seen.length).toFixed(3), exact_when_shown: +(shown.filter((x) => x.exact).length / n).toFixed(3),
      correct_share_of_shown_chars: +(shown.reduce((a, x) => a + x.prefix, 0) / Math.max(1, shown.reduce((a, x) => a + x.length, 0))).toFixed(3) };
  });
  return { positions: positions.length, exact_rest_of_line: +(exact / positions.length).toFixed(4),
    mean_correct_prefix_chars: +(prefix / positions.length).toFixed(3), mean_ms: +(ms / positions.length).toFixed(2), calibration };
}

async function quality(model: CompletionModel, files: HeldOut[], nPositions: number, maxChars: number) {
  let chars = 0;
  const used = files.filter((f) => (chars += f.text.length) <= maxChars || chars === f.text.length);
  log(`quality: ${used.length} held-out files, ${used.reduce((a, f) => a + f.text.length, 0).toLocaleString('en-US')} characters`);
  const t0 = performance.now();
  const streams = used.map((f) => model.encode(fileHeader(f.relPath) + f.text));
  const s = scoreStreams(model, streams, { mixer: warmMixer(model) });
  const noOverlay = scoreStreams(model, streams, { overlayEvery: 0, mixer: warmMixer(model) });
  log(`bits per char scored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const bpc = { lstm: s.bits.lstm / s.chars, ngram: s.bits.ngram / s.chars, mixture: s.bits.mixture / s.chars };
  const positions = samplePositions(used, nPositions);
  const out: Record<string, unknown> = {
    files: used.length, chars: s.chars,
    bpc: { lstm: +bpc.lstm.toFixed(4), ngram: +bpc.ngram.toFixed(4), mixture: +bpc.mixture.toFixed(4) },
    bpc_without_document_overlay: { ngram: +(noOverlay.bits.ngram / s.chars).toFixed(4), mixture: +(noOverlay.bits.mixture / s.chars).toFixed(4) },
  };
  for (const c of ['lstm', 'ngram', 'mixture'] as const) {
    const t1 = performance.now();
    out[c] = completionQuality(model, used, positions, c);
    log(`${c}: ${JSON.stringify(out[c])} (${((performance.now() - t1) / 1000).toFixed(1)} s)`);
  }
  return out;
}

(async () => {
  const picked = pickKernels('auto');
  const { model, checkpoint, notice } = loadCompletionModel(path.resolve(args.model!), picked.kernels);
  if (notice) log(notice);
  const c = model.rnn.config;
  const h = checkpoint.training.valBpcHistory;
  const result: Record<string, unknown> = {
    model: `${c.layers}x${c.hidden} ${c.cell}`, kernels: picked.description, ngram_order: model.ngram?.order ?? 0,
    trained: { steps: checkpoint.training.steps, chars: checkpoint.training.charsSeen, minutes: +(checkpoint.training.elapsedMs / 60_000).toFixed(1), val_bpc: h.length ? h[h.length - 1][1] : null },
    load_average: (await import('node:os')).loadavg().map((x) => +x.toFixed(2)),
  };
  // the held-out files whose text the mixer warms up on are not scored
  const calibration = new Set(model.calibration.map((t) => /^==> (.*) <==\n/.exec(t)?.[1]));
  const files = (await heldOutFiles()).filter((f) => !calibration.has(f.relPath));
  result.held_out = { files: files.length, chars: files.reduce((a, f) => a + f.text.length, 0), left_out_for_mixer_warmup: calibration.size };
  if (args.only !== 'quality') result.latency = await latency(model, files, Number(args.keystrokes ?? 200));
  if (args.only !== 'latency') result.quality = await quality(model, files, Number(args.positions ?? 1500), Number(args['max-quality-chars'] ?? Infinity));
  console.log(args.json ? JSON.stringify(result) : JSON.stringify(result, null, 2));
})().catch((e) => { console.error(e); process.exit(1); });
