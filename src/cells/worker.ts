// The cells worker (dist/cells-worker.js): a worker_threads entry that runs the model for the
// cell-activation panel, so the extension host's thread never does: cell values over the open
// document (the range in view first, then all of it, again after each edit), the model's next-
// character guesses on hover, gate saturation, and cell discovery on the workspace's held-out
// files. Messages: InferRequest in, InferReply out (protocol.ts).
import * as fs from 'node:fs';
import { parentPort } from 'node:worker_threads';
import { buildCorpus, collectCorpus, fileHeader } from '../corpus';
import { discoverCells } from './discover';
import { DocAnalyzer } from './doc-analysis';
import { languageFromPath } from './labels/labels';
import { readDiscoveredCells } from './cell-list';
import { loadCheckpoint, storeCells } from '../model-files/checkpoint-file';
import { pickKernels } from '../runtime/kernels';
import { LoadedModel, modelFromCheckpoint } from '../model-files/load-model';
import { includeFilter } from '../corpus/include-filter';
import type { DiscoverCorpus, InferReply, InferRequest, ModelInfo } from './protocol';

const port = parentPort!;
const post = (m: InferReply) => port.postMessage(m);

let loaded: { path: string; model: LoadedModel; info: ModelInfo; analyzer: DocAnalyzer } | undefined;

function load(checkpointPath: string): void {
  const mtimeMs = fs.statSync(checkpointPath).mtimeMs;
  const ck = loadCheckpoint(checkpointPath);
  const picked = pickKernels('auto');
  const model = modelFromCheckpoint(ck, picked.kernels, 1, 1);
  const info: ModelInfo = {
    cell: ck.config.cell, layers: ck.config.layers, hidden: ck.config.hidden, vocabSize: ck.config.vocabSize,
    steps: ck.training.steps, cells: readDiscoveredCells(ck.cells, ck.config), mtimeMs, backend: picked.description,
  };
  loaded = { path: checkpointPath, model, info, analyzer: new DocAnalyzer(model.model, model.vocab, {
    values: (v) => post({ type: 'values', ...v }),
    progress: (p) => post({ type: 'progress', ...p }),
  }) };
  post({ type: 'loaded', model: info });
}

async function discover(id: number, checkpointPath: string, c: DiscoverCorpus): Promise<void> {
  if (!loaded || loaded.path !== checkpointPath) load(checkpointPath);
  const { model, info } = loaded!;
  const collected = await collectCorpus(c.roots, {
    maxFileBytes: c.maxFileBytes, maxTotalBytes: c.maxTotalBytes, extraIgnore: c.extraIgnore,
    include: includeFilter(c.include, c.roots.length > 1),
  });
  // The held-out files of training's own split; a workspace too small to have any is scored
  // on all its files (said in the note: those scores flatter).
  const split = buildCorpus(collected.files, { valFraction: c.valFraction, seed: c.seed });
  const held = new Set(split.valFiles);
  let files = collected.files.filter((f) => held.has(f.relPath));
  let note: string | undefined;
  if (files.length === 0) {
    files = collected.files;
    note = 'The workspace has no held-out files, so the cells were found and scored on files the model trained on.';
  }
  const texts = files.map((f) => ({ text: f.text, header: fileHeader(f.relPath), languageId: languageFromPath(f.relPath) }));
  const r = await discoverCells(model.model, model.vocab, texts, { maxChars: c.maxChars, yieldEvery: () => new Promise((res) => setImmediate(res)) });
  // Store only into the model the cells were found on: a training run may have saved a newer one meanwhile.
  const stored = storeCells(checkpointPath, r.cells, info.steps);
  if (stored) {
    info.cells = r.cells;
    info.mtimeMs = fs.statSync(checkpointPath).mtimeMs;
  } else {
    note = 'The model changed while its cells were being found; they were not stored.';
  }
  post({ type: 'discovered', id, cells: r.cells, missing: r.missing, chars: r.chars.select + r.chars.score, stored, note });
}

// Requests are handled one at a time, in order, except that an analysis in progress yields
// between chunks: a newer analysis then takes over (the older one stops at its next yield).
port.on('message', (m: InferRequest) => {
  void handle(m).catch((e: unknown) => {
    const message = e instanceof Error ? e.message : String(e);
    if (m.type === 'load') post({ type: 'load-failed', message });
    else post({ type: 'error', id: 'id' in m ? m.id : undefined, doc: 'doc' in m ? m.doc : undefined, message });
  });
});

async function handle(m: InferRequest): Promise<void> {
  switch (m.type) {
    case 'load':
      load(m.checkpointPath);
      return;
    case 'analyze': {
      if (!loaded) throw new Error('No model is loaded.');
      await loaded.analyzer.analyze(m);
      return;
    }
    case 'resend':
      loaded?.analyzer.resend(m.doc, m.version, m.key, m.focus);
      return;
    case 'focus': {
      loaded?.analyzer.focus(m.doc, m.version, m.focus);
      return;
    }
    case 'guesses':
      if (!loaded) throw new Error('No model is loaded.');
      post({ type: 'guesses', id: m.id, at: m.at, top: loaded.analyzer.guesses(m.doc, m.at) });
      return;
    case 'gates': {
      const g = loaded?.analyzer.gates(m.doc);
      if (g) post({ type: 'gates', doc: m.doc, version: g.version, steps: g.steps, layers: g.layers });
      return;
    }
    case 'discover':
      await discover(m.id, m.checkpointPath, m.corpus);
      return;
    case 'most-active':
      if (!loaded) throw new Error('No model is loaded.');
      post({ type: 'most-active', id: m.id, doc: m.doc, start: m.start, end: m.end, cells: loaded.analyzer.mostActive(m.doc, m.start, m.end) });
      return;
  }
}
