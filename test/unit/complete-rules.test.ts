// The rules around a completion in the editor: merging with the closers VS Code put after the
// cursor (an auto-closed `)` must not end up doubled once the ghost is accepted), what the editor
// does not show (too short, only closers, repetition in comments), and the host's memory of the
// last answer (the same request again, or typing through the ghost, skips the debounce).
import { strict as assert } from 'node:assert';
import { finishCompletion, lineContext } from '../../src/complete/rules';
import { cutRepetition, inComment, showVerdict } from '../../src/complete/show-rules';
import { RecentAnswers } from '../../src/extension/completions/recent-answers';

/** The line context of a text with `|` at the cursor. */
const at = (text: string) => lineContext(text.replace('|', ''), text.indexOf('|'));

/** The line as it reads once the completion is accepted: text replaces `replace` characters after the cursor. */
function accepted(text: string, completion: string): string {
  const ctx = at(text);
  const v = finishCompletion(completion, ctx);
  if ('suppressed' in v) return `(${v.suppressed})`;
  return ctx.linePrefix + v.text + ctx.lineSuffix.slice(v.replace);
}

describe('completion rules: the text after the cursor that the editor closed', () => {
  it('a completion that closes the auto-closed bracket replaces it instead of doubling it', () => {
    assert.equal(accepted('  if (|)\n', 'typeof x) {'), '  if (typeof x) {');
    assert.deepEqual(finishCompletion('typeof x) {', at('  if (|)\n')), { text: 'typeof x) {', replace: 1 });
    assert.equal(accepted('foo(bar(|))', 'a, b)) + 1;'), 'foo(bar(a, b)) + 1;');
    assert.equal(accepted("log('|')", "hello') // hi"), "log('hello') // hi");
    assert.equal(accepted('f(|);', 'x);'), 'f(x);');
    assert.equal(accepted('[|]', '1, 2].map(f)'), '[1, 2].map(f)');
  });

  it('its own brackets and strings are its own: only a closer at its depth 0 stands for the suffix', () => {
    assert.equal(accepted('if (|)', 'a(b) && c[0]) {'), 'if (a(b) && c[0]) {');
    assert.equal(accepted('if (|)', "s === ')') {"), "if (s === ')') {");
  });

  it('one that ends with the closers themselves is inserted before them', () => {
    assert.deepEqual(finishCompletion('x)', at('f(|)')), { text: 'x', replace: 0 });
    assert.deepEqual(finishCompletion('c, d)', at('f(a, |)\n')), { text: 'c, d', replace: 0 });
    assert.equal(accepted('f(|)', 'x'), 'f(x)', 'one that does not close it leaves it');
  });

  it('one that closes something else, or leaves a bracket open before the suffix, is cut there', () => {
    assert.equal(accepted('f(|)', 'x] + 1'), 'f(x)');
    assert.equal(accepted('if (|)', 'self as Tree<A> => {'), 'if (self as Tree<A> =>)');
    assert.equal(accepted('if (|)', 'a && (b'), 'if (a &&)');
    assert.equal(accepted('f(|)', ')'), '(repeats-suffix)', 'nothing but the closer itself');
    assert.equal(accepted('g(f(|)', '))'), 'g(f())', 'past the suffix the completion goes on as it likes');
  });

  it('a suffix that is more than closers keeps the older rules', () => {
    assert.deepEqual(finishCompletion('b)', at('f(a, |b)\n')), { suppressed: 'repeats-suffix' });
    assert.deepEqual(finishCompletion('x, y', at('f(|a)\n')), { text: 'x, y', replace: 0 });
  });
});

describe('completion rules: what the editor shows', () => {
  const show = (text: string, completion: string) => showVerdict(completion, at(text));

  it('nothing shorter than a few characters, nothing that only closes a bracket or a statement', () => {
    assert.deepEqual(show('  x = f(a|', ')'), { suppressed: 'only-closes' });
    assert.deepEqual(show('    }|', ');'), { suppressed: 'only-closes' });
    assert.deepEqual(show('  |', '});'), { suppressed: 'only-closes' });
    assert.deepEqual(show('  const |', 'ab'), { suppressed: 'too-short' });
    assert.deepEqual(show('  const |', 'a = 1;'), { text: 'a = 1;' });
    assert.deepEqual(show('  x = |', 'f()'), { text: 'f()' });
  });

  it('in a comment, no repetition of the line above nor of the completion itself', () => {
    const above = '// Returns the index of the first item that matches.\n// |';
    assert.deepEqual(show(above, 'Returns the index of the first item'), { suppressed: 'repeats-comment' });
    assert.deepEqual(show(above, 'Throws when the list is empty.'), { text: 'Throws when the list is empty.' });
    assert.deepEqual(show('  # the value of |', 'the value of the value of the value'), { suppressed: 'repeats-comment' });
    assert.deepEqual(show('  /** Reads |', 'a file, then reads a file, then reads a file'), { text: 'a file, then reads' });
    assert.deepEqual(show(' * The cache |', 'keeps the states. The cache keeps the states.'), { text: 'keeps the states.' });
    // code is not a comment: the same line again is what code often is
    assert.deepEqual(show('  x.push(value);\n  |', 'x.push(value);'), { text: 'x.push(value);' });
  });

  it('tells a comment from code', () => {
    for (const c of ['// x', '  // ', '/* a', ' * b', 'x = 1  # note', '# python', '-- sql', 'int x; // c']) assert.equal(inComment(c), true, c);
    for (const c of ['#include <stdio.h', '  this.#field = ', 'const url = "http://', "s = 'a // b", 'x--', 'a - b']) assert.equal(inComment(c), false, c);
  });

  it('cuts where a run seen before starts again', () => {
    assert.equal(cutRepetition('abc abc abc abc', ''), 'abc ');
    assert.equal(cutRepetition('new words here', 'old words there'), 'new words here');
    assert.equal(cutRepetition('----------------', ''), '----------------', 'a rule of dashes is not a sentence');
  });
});

describe('the last answer on the extension host', () => {
  const item = (text: string) => ({ text, replace: 0, bits: 0.5, meanBits: 0.1 });

  it('answers the same request again, and knows when the user types through the ghost', () => {
    const r = new RecentAnswers();
    r.remember('u', 3, 10, 'k', [item('hello()')]);
    assert.deepEqual(r.same('u', 3, 10, 'k'), [item('hello()')]);
    assert.equal(r.same('u', 4, 10, 'k'), undefined, 'another version');
    assert.equal(r.same('u', 3, 10, 'other settings'), undefined);
    const doc = 'xxxxxxxxxxhel';
    assert.equal(r.typedThrough('u', 13, 'k', (from) => doc.slice(from, 13)), true);
    assert.equal(r.typedThrough('u', 12, 'k', () => 'hx'), false, 'typed something else');
    assert.equal(r.typedThrough('u', 17, 'k', () => 'hello()'), false, 'typed it all');
  });

  it('forgets an answer that an edit before it invalidates', () => {
    const r = new RecentAnswers();
    r.remember('u', 3, 10, 'k', [item('abc')]);
    r.changed('u', [{ start: 10, end: 10, text: 'a' }]);
    assert.ok(r.same('u', 3, 10, 'k'), 'typing at the cursor keeps it');
    r.changed('u', [{ start: 2, end: 3, text: '' }]);
    assert.equal(r.same('u', 3, 10, 'k'), undefined);
  });
});
