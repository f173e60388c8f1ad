import { strict as assert } from 'node:assert';
import { chooseModelSize, resolveModelSize, SIZE_LADDER } from '../../src/training/model-size';

const rung = (s: { layers: number; hidden: number }) => SIZE_LADDER.findIndex((r) => r.layers === s.layers && r.hidden === s.hidden);
const FIXED = { layers: 2, hidden: 256 };
const pick = (chars: number, minutes: number) => { const c = chooseModelSize(chars, minutes); return { layers: c.layers, hidden: c.hidden }; };

describe('size from the budget (model-size.ts)', () => {
  it('is a function of the corpus size and the budget: the same answer every time', () => {
    for (const [chars, minutes] of [[2e5, 2], [1e6, 15], [4e6, 15], [8e6, 60]]) {
      const a = chooseModelSize(chars, minutes), b = chooseModelSize(chars, minutes);
      assert.deepEqual(a, b);
      assert.ok(rung(a) >= 0, 'a size of the ladder');
    }
  });

  it('gives a longer budget a model at least as big; a corpus it would pass over many times, a bigger one', () => {
    const corpora = [3e4, 2e5, 1e6, 4e6, 1.6e7], budgets = [0.5, 2, 5, 15, 30, 120];
    for (const d of corpora) for (let i = 1; i < budgets.length; i++) {
      assert.ok(rung(chooseModelSize(d, budgets[i])) >= rung(chooseModelSize(d, budgets[i - 1])), `${d} chars, ${budgets[i]} min`);
    }
    for (const m of budgets) for (let i = 1; i < corpora.length; i++) {
      assert.ok(rung(chooseModelSize(corpora[i], m)) <= rung(chooseModelSize(corpora[i - 1], m)), `${corpora[i]} chars, ${m} min`);
    }
    // the measured cases (bench/heldout/README.md): 2 minutes on 4 M, 1 M and 0.2 M characters
    assert.deepEqual(pick(4e6, 2), { layers: 1, hidden: 128 });
    assert.deepEqual(pick(1e6, 2), { layers: 1, hidden: 256 });
    assert.deepEqual(pick(2e5, 2), { layers: 2, hidden: 256 });
    // the ends of the ladder are both reached
    assert.equal(rung(chooseModelSize(1e8, 0.1)), 0);
    assert.equal(rung(chooseModelSize(1e8, 24 * 60)), SIZE_LADDER.length - 1);
  });

  it('settings override either dimension; a budget of steps or epochs keeps the fixed size', () => {
    const chosen = chooseModelSize(4e6, 2);
    assert.deepEqual(resolveModelSize({ layers: 3, hidden: 100 }, 4e6, { minutes: 2 }, 'lstm', FIXED), { layers: 3, hidden: 100, chosen: false });
    assert.deepEqual(resolveModelSize({ layers: 0, hidden: 0 }, 4e6, { minutes: 2 }, 'lstm', FIXED),
      { layers: chosen.layers, hidden: chosen.hidden, chosen: true });
    assert.equal(resolveModelSize({ layers: 3, hidden: 0 }, 4e6, { minutes: 2 }, 'lstm', FIXED).layers, 3);
    assert.equal(resolveModelSize({ layers: 0, hidden: 64 }, 4e6, { minutes: 2 }, 'lstm', FIXED).hidden, 64);
    assert.deepEqual(resolveModelSize({ layers: 0, hidden: 0 }, 1e3, { steps: 500 }, 'lstm', FIXED), { ...FIXED, chosen: false });
    assert.deepEqual(resolveModelSize({ layers: 0, hidden: 0 }, 1e3, { epochs: 3 }, 'lstm', FIXED), { ...FIXED, chosen: false });
  });
});
