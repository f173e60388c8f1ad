// A DynamicLstm as the adaptive predictor's LSTM (component.ts's LstmLike).
//
// feed(id) queues learning from id; when learning runs is the caller's choice:
//   eager     adaptPending() right after every feed: what `eval --mixture` scores, the same
//             figures whatever the machine's speed (learning never sees a character before it
//             is scored: feed comes after the prediction of id)
//   deferred  nothing here: the completion worker runs adaptPending(stop) between requests, so
//             a request waits at most one learning step
// step(id) moves on without learning (a decoder's look-ahead).
import type { LstmLike } from './component';
import type { DynamicLstm } from './dynamic-lstm';
import type { CompletionModel } from '../completion-model';
import { DynamicLstm as Dynamic, DynamicEvalMode } from './dynamic-lstm';

export function dynamicLstmLike(d: DynamicLstm, when: 'eager' | 'deferred'): LstmLike {
  return {
    probs: (out) => { d.probs(out); },
    feed: when === 'eager' ? (id) => { d.feed(id); d.adaptPending(); } : (id) => d.feed(id),
    reset: () => d.reset(),
    saveState: () => d.saveState(),
    loadState: (s) => d.loadState(s),
    step: (id) => d.advance(id),
  };
}

/** The dynamically evaluated LSTM of a completion model, its gradient statistics taken from the
 *  held-out text stored beside the counts (the calibration text) when there is some. */
export function dynamicLstmOf(model: CompletionModel, mode: DynamicEvalMode): DynamicLstm {
  const statsText = model.calibration.map((t) => model.encode(t));
  return new Dynamic(model.rnn, { mode, statsText: statsText.length ? statsText : undefined });
}
