import { strict as assert } from 'node:assert';
import { TypingBackoff } from '../../src/training/typing-backoff';

/** A run's threads as the back-off sees them, recording what it was told. */
function fakeRun(threads: number) {
  const told: number[] = [];
  return { threads, told, setActiveThreads: (n: number) => { told.push(n); } };
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((r) => setTimeout(r, 10));
  assert.ok(ok(), what);
};

describe('TypingBackoff', () => {
  let t = 0;
  const now = () => t;

  it('gives one thread back while the user types and takes it again after the idle pause', async () => {
    const changes: [number, number][] = [];
    const b = new TypingBackoff({ idleMs: 40, now, onChange: (a, n) => changes.push([a, n]) });
    const run = fakeRun(4);
    t = 1000;
    b.attach(run);
    assert.deepEqual(changes, [[4, 4]], 'all threads while nobody types');
    b.typing();
    assert.deepEqual(run.told, [4, 3]);
    t += 30; b.typing();   // still typing: nothing changes, the pause starts anew
    assert.deepEqual(run.told, [4, 3]);
    t += 45;               // 45 ms since the last keystroke: the timer finds the pause over
    await until('back to 4 threads', () => run.told.length === 3);
    assert.deepEqual(run.told, [4, 3, 4]);
    assert.deepEqual(changes, [[4, 4], [3, 4], [4, 4]]);
    b.dispose();
  });

  it('remembers typing from before the run had threads, and has nothing to give on one thread', () => {
    const b = new TypingBackoff({ idleMs: 10_000, now, onChange: () => {} });
    t = 5000;
    b.typing();
    const run = fakeRun(2);
    t = 6000;
    b.attach(run);
    assert.deepEqual(run.told, [1], 'starts backed off: typed a second ago');
    b.dispose();

    const single = new TypingBackoff({ idleMs: 10_000, now, onChange: () => {} });
    const one = fakeRun(1);
    single.attach(one);
    single.typing();
    assert.deepEqual(one.told, [1], 'one thread stays one');
    single.dispose();
  });
});
