// How completions are predicted and decoded: the same settings drive the editor (the
// lstmLens.completions.* settings), the worker and `lstm-lens complete`.
import { DEFAULTS } from '../defaults';

/** Which next-character distribution decodes: the LSTM, the n-gram, or their learned mixture. */
export type Component = 'lstm' | 'ngram' | 'mixture';
export type Strategy = 'greedy' | 'beam';
/** 'line': to the end of the line; 'block': on over lines until the brackets opened are closed. */
export type Scope = 'line' | 'block';

export interface DecodeSettings {
  component: Component;
  strategy: Strategy;
  beamWidth: number;
  scope: Scope;
  /** Characters generated at most per line (a block: this times maxLines in all). */
  maxChars: number;
  /** Lines of a block at most. */
  maxLines: number;
  /** Bits of the whole completion (−log2 of the probability that it is right, every character of
   *  it) above which it is not shown (Infinity: always show). */
  threshold: number;
  /** Completions returned at most (several when the user asks explicitly). */
  alternatives: number;
}

const c = DEFAULTS.completions;
export const DEFAULT_DECODE: Readonly<DecodeSettings> = Object.freeze({
  component: c.component, strategy: c.strategy, beamWidth: c.beamWidth, scope: c.scope,
  maxChars: c.maxChars, maxLines: c.maxLines, threshold: c.threshold, alternatives: 1,
});

const COMPONENTS: readonly Component[] = ['lstm', 'ngram', 'mixture'];
const STRATEGIES: readonly Strategy[] = ['greedy', 'beam'];
const SCOPES: readonly Scope[] = ['line', 'block'];

/** Settings from untrusted input (a message, a JSON line, user settings): anything missing or out
 *  of range takes its default, so a bad value never reaches the decoder. */
export function decodeSettings(partial: Partial<Record<keyof DecodeSettings, unknown>> | undefined): DecodeSettings {
  const p = partial ?? {};
  const pick = <T extends string>(v: unknown, allowed: readonly T[], def: T): T => (allowed.includes(v as T) ? (v as T) : def);
  const int = (v: unknown, lo: number, hi: number, def: number): number =>
    typeof v === 'number' && Number.isFinite(v) ? Math.min(hi, Math.max(lo, Math.round(v))) : def;
  const threshold = typeof p.threshold === 'number' && !Number.isNaN(p.threshold) && p.threshold > 0 ? p.threshold : DEFAULT_DECODE.threshold;
  return {
    component: pick(p.component, COMPONENTS, DEFAULT_DECODE.component),
    strategy: pick(p.strategy, STRATEGIES, DEFAULT_DECODE.strategy),
    beamWidth: int(p.beamWidth, 1, 16, DEFAULT_DECODE.beamWidth),
    scope: pick(p.scope, SCOPES, DEFAULT_DECODE.scope),
    maxChars: int(p.maxChars, 1, 2000, DEFAULT_DECODE.maxChars),
    maxLines: int(p.maxLines, 1, 200, DEFAULT_DECODE.maxLines),
    threshold,
    alternatives: int(p.alternatives, 1, 10, DEFAULT_DECODE.alternatives),
  };
}
