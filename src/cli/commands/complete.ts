// lstm-lens complete --model FILE [--ngram FILE] [--component mixture|lstm|ngram] [--decoding greedy|beam]
//   [--beam-width N] [--scope line|block] [--threshold BITS|inf] [--alternatives N]
//
// JSON lines on stdin: {"id", "context", "max_chars"?, "path"?, "suffix"?}  ->  stdout {"id", "completion"}
// (plus "completions" with --alternatives above 1). The same engine as the editor: the LSTM state
// cached per path (a request whose context extends the last one of its path reads only what is
// new), the mixture with the n-gram counts stored beside the checkpoint, the same decoding
// rules and confidence threshold (an unsure completion is ""). `path` names the file as the
// corpus header does (it primes the model with the language); `suffix` is the text after the
// cursor, for the rules that suppress repeats. A bad line gets {"id", "error"} and the rest go on.
import * as readline from 'node:readline';
import { Completer } from '../../complete/completer';
import { loadCompletionModel } from '../../complete/load';
import { warmMixer } from '../../complete/score';
import { decodeSettings, DecodeSettings } from '../../complete/decode-settings';
import { fileHeader } from '../../corpus/build';
import { pickKernels } from '../../runtime/kernels';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';

export const completeOptions: OptionTable = {
  model: { kind: 'string' }, ngram: { kind: 'string' },
  component: { kind: 'string', choices: ['mixture', 'lstm', 'ngram'] }, decoding: { kind: 'string', choices: ['greedy', 'beam'] },
  'beam-width': { kind: 'int', min: 1, max: 16 }, scope: { kind: 'string', choices: ['line', 'block'] },
  threshold: { kind: 'string' }, alternatives: { kind: 'int', min: 1, max: 10 },
  backend: { kind: 'string', choices: ['auto', 'wasm', 'ref'] },
};

/** Characters of new context after which a path's n-gram overlay is recounted. */
const OVERLAY_EVERY = 2000;

interface Request { id: unknown; context: string; maxChars?: number; path?: string; suffix: string }

export async function complete(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, completeOptions, 'complete');
  if (p.positionals.length > 0) throw new UsageError('lstm-lens complete reads its requests from stdin, one JSON object per line; it takes no file arguments.');
  const v = p.values;
  const threshold = parseThreshold(v.threshold as string | undefined);
  const base = decodeSettings({
    component: v.component, strategy: v.decoding, beamWidth: v['beam-width'], scope: v.scope, alternatives: v.alternatives, threshold,
  });
  const picked = pickKernels((v.backend as 'auto' | 'wasm' | 'ref') ?? 'auto');
  const { model, notice } = loadCompletionModel(required<string>(p, 'model', 'complete'), picked.kernels, v.ngram as string | undefined);
  if (notice && base.component !== 'lstm') process.stderr.write(`lstm-lens: ${notice}\n`);
  // the mixer's first weights from the held-out text stored with the counts, as the editor's worker does
  const engine = new Completer(model, { mixer: warmMixer(model) });
  const last = new Map<string, { text: string; overlayAt: number }>();

  const answer = (line: string): string => {
    const req = parseRequest(line);
    const docId = req.path ?? '';
    const text = req.context + req.suffix;
    // the cache follows the path's text: what changed since its last request is an edit
    const prev = last.get(docId);
    if (prev) {
      const common = commonPrefix(prev.text, text);
      if (common < prev.text.length || common < text.length) engine.edit(docId, common, prev.text.length, text.length - common);
    }
    const header = req.path ? fileHeader(req.path) : '';
    const entry = { text, overlayAt: prev?.overlayAt ?? -Infinity };
    last.set(docId, entry);
    const settings: DecodeSettings = req.maxChars ? { ...base, maxChars: req.maxChars } : base;
    const r = engine.complete({ docId, text, offset: req.context.length, header, settings });
    // the document's own n-gram counts, from the text before the cursor, now and then
    if (model.ngram && base.component !== 'lstm' && Math.abs(req.context.length - entry.overlayAt) >= OVERLAY_EVERY) {
      engine.refreshOverlay(docId, req.context, header);
      entry.overlayAt = req.context.length;
    }
    const out: Record<string, unknown> = { id: req.id, completion: r.items[0]?.text ?? '' };
    if (base.alternatives > 1) out.completions = r.items.map((i) => i.text);
    return JSON.stringify(out);
  };

  const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of rl) {
    if (!line.trim()) continue;
    if (!process.stdout.write(answerOrError(answer, line) + '\n')) await new Promise((r) => process.stdout.once('drain', r));
  }
  return 0;
}

/** One reply per line whatever the line holds: a request that cannot be answered (bad JSON, wrong
 *  types, or a failure while completing it) costs its own {"id", "error"}, never the server. */
function answerOrError(answer: (line: string) => string, line: string): string {
  try {
    return answer(line);
  } catch (e) {
    const message = e instanceof RequestError ? e.message : `The request could not be completed (${(e as Error).message.replace(/\.$/, '')}).`;
    return JSON.stringify({ id: idOf(line), error: message });
  }
}

/** What is wrong with a request, in one sentence for its reply. */
class RequestError extends Error {}

function parseThreshold(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (/^(inf|infinity|none|off)$/i.test(s)) return Infinity;
  const n = Number(s);
  if (s.trim() === '' || !(n > 0)) throw new UsageError(`--threshold must be a positive number of bits per character (or "inf"), not "${s}".`);
  return n;
}

function parseRequest(line: string): Request {
  const o = parseJson(line);
  const fail = (why: string): never => { throw new RequestError(why); };
  if (!o || typeof o !== 'object' || Array.isArray(o)) fail('A request is a JSON object {"id", "context", "max_chars", "path"}.');
  const r = o as Record<string, unknown>;
  if (!isId(r.id)) fail('"id" must be a string, a number or null.');
  if (typeof r.context !== 'string') fail('"context" must be a string (the text before the cursor).');
  const mc = r.max_chars;
  if (mc !== undefined && !(typeof mc === 'number' && Number.isInteger(mc) && mc >= 1 && mc <= 2000)) {
    fail('"max_chars" must be an integer from 1 to 2000.');
  }
  if (r.path !== undefined && typeof r.path !== 'string') fail('"path" must be a string (the file\'s path in the workspace).');
  if (r.suffix !== undefined && typeof r.suffix !== 'string') fail('"suffix" must be a string (the text after the cursor).');
  return { id: r.id ?? null, context: r.context as string, maxChars: mc as number | undefined, path: r.path as string | undefined, suffix: (r.suffix as string) ?? '' };
}

function parseJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    // a syntax error, or JSON nested deeper than the parser's stack
    throw new RequestError('The line is not JSON.');
  }
}

/** An id is echoed back as it came, so it must be a value that prints back safely: a scalar
 *  (a nested one could be too deep for JSON.stringify's stack). */
function isId(id: unknown): boolean {
  return id === undefined || id === null || typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id));
}

/** The id of a request that failed, when it can still be read and sent back; else null. */
function idOf(line: string): unknown {
  try {
    const o = JSON.parse(line);
    return o && typeof o === 'object' && isId(o.id) ? o.id ?? null : null;
  } catch {
    return null;
  }
}

function commonPrefix(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return i;
}
