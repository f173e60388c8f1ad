// lstm-lens complete --model FILE [--ngram FILE] [--component mixture|lstm|ngram] [--decoding greedy|beam]
//   [--beam-width N] [--scope line|block] [--threshold BITS|inf] [--alternatives N]
//
// JSON lines on stdin: {"id", "context", "max_chars"?, "path"?, "file_start"?, "suffix"?}  ->  stdout
// {"id", "completion", "bits", "mean_bits"} (bits: −log2 of the probability of the whole completion,
// the confidence measure; plus "completions" with --alternatives above 1; "replace" when
// the completion takes in characters of the suffix, e.g. a ")" the editor had closed). Each request
// is answered from the model and that request's own text only: the LSTM reads its context afresh,
// the n-gram adds the context's own counts to the corpus' (as the editor's overlay does), the
// mixer starts from the weights it warmed up with and learns from the text before the cursor.
// Nothing carries from one request to the next, so a request gets the same answer whatever came
// before it. The same decoding rules and confidence threshold as the editor (an unsure completion
// is ""). `path` names the file as the corpus header does (it primes the model with the
// language); `file_start` (default true) says the context begins at the file's start; `suffix` is
// the text after the cursor, for the rules that merge with it or suppress repeats. A bad line gets
// {"id", "error"} and the rest go on.
import * as readline from 'node:readline';
import { Completer } from '../../complete/completer';
import { loadCompletionModel } from '../../complete/load';
import { warmMixer } from '../../complete/score';
import { decodeSettings, DecodeSettings } from '../../complete/decode-settings';
import { fileHeader } from '../../corpus/build';
import type { CompletionModel } from '../../complete/completion-model';
import { pickKernels } from '../../runtime/kernels';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';

export const completeOptions: OptionTable = {
  model: { kind: 'string' }, ngram: { kind: 'string' },
  component: { kind: 'string', choices: ['mixture', 'lstm', 'ngram'] }, decoding: { kind: 'string', choices: ['greedy', 'beam'] },
  'beam-width': { kind: 'int', min: 1, max: 16 }, scope: { kind: 'string', choices: ['line', 'block'] },
  threshold: { kind: 'string' }, alternatives: { kind: 'int', min: 1, max: 10 },
  backend: { kind: 'string', choices: ['auto', 'wasm', 'ref'] },
};

/** The id every request's text is read under (each forgets it after). */
const DOC = 'request';

interface Request { id: unknown; context: string; maxChars?: number; path?: string; fileStart: boolean; suffix: string }

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
  // the mixer's first weights from the held-out text stored with the counts, as the editor's
  // worker does; every request starts from them
  const mixer = warmMixer(model);
  const warm = mixer.snapshot();
  const engine = new Completer(model, { mixer });

  const answer = (line: string): string => {
    const req = parseRequest(line);
    const settings: DecodeSettings = req.maxChars ? { ...base, maxChars: req.maxChars } : base;
    mixer.restore(warm);
    const r = engine.completeAlone({ docId: DOC, text: req.context + req.suffix, offset: req.context.length, header: headerOf(model, req), settings });
    const best = r.items[0];
    const out: Record<string, unknown> = { id: req.id, completion: best?.text ?? '' };
    if (best) { out.bits = Number(best.bits.toFixed(4)); out.mean_bits = Number(best.meanBits.toFixed(4)); }
    if (best?.replace) out.replace = best.replace;
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

/** What the model saw before the request's text in training: at a file's start its header (or a
 *  raw corpus' file separator); within a file, a workspace model still reads the header first (it
 *  names the language, as the editor does), a raw-corpus model nothing. */
function headerOf(model: CompletionModel, req: Request): string {
  const workspace = req.path ? fileHeader(req.path) : '';
  if (req.fileStart) return model.fileStart(workspace);
  return model.hasFileSeparator ? '' : workspace;
}

function parseThreshold(s: string | undefined): number | undefined {
  if (s === undefined) return undefined;
  if (/^(inf|infinity|none|off)$/i.test(s)) return Infinity;
  const n = Number(s);
  if (s.trim() === '' || !(n > 0)) throw new UsageError(`--threshold must be a positive number of bits (or "inf"), not "${s}".`);
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
  if (r.file_start !== undefined && typeof r.file_start !== 'boolean') fail('"file_start" must be true or false (whether the context begins at the file\'s start).');
  return {
    id: r.id ?? null, context: r.context as string, maxChars: mc as number | undefined, path: r.path as string | undefined,
    fileStart: (r.file_start as boolean | undefined) ?? true, suffix: (r.suffix as string) ?? '',
  };
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
