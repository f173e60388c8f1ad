// CRLF documents in completions: a model trained on LF text (no '\r' in its vocabulary) reads a
// CRLF document's line ends as the line feeds it knows, so a CRLF document completes exactly as
// the same text with LF line ends does; nothing generated holds a '\r'; the rules about the
// text after the cursor and the next line see through the '\r'.
import { strict as assert } from 'node:assert';
import { Completer } from '../../src/complete/completer';
import { decodeSettings } from '../../src/complete/decode-settings';
import { CODE, HEADER, tinyModel } from './complete-fixture';

const S = decodeSettings({ threshold: Infinity, maxChars: 30 });
const crlf = (s: string) => s.replace(/\n/g, '\r\n');

describe('completions in a CRLF document', () => {
  const model = tinyModel();
  const complete = (text: string, offset: number, settings = S) =>
    new Completer(model).complete({ docId: 'doc', text, offset, header: HEADER, settings });

  it('completes exactly as the same text with LF line ends', () => {
    assert.ok(!model.vocab.chars.includes('\r'), 'the model was trained on LF text');
    const lf = CODE.replace(/\n\nexport class Counter[\s\S]*/, '\n\nexport class Counter {\n  private co');
    const a = complete(lf, lf.length), b = complete(crlf(lf), crlf(lf).length);
    assert.equal(a.items[0]?.text, 'unt = 0;');
    assert.deepEqual(b.items, a.items, 'the same completion, as sure');
    assert.equal(b.fed, a.fed, 'the same characters read: no UNK for each \\r');
    // in the middle of a document, with lines after the cursor
    const at = CODE.indexOf('  if (name') + 2;
    const mid = complete(CODE, at), midCrlf = complete(crlf(CODE), crlf(CODE.slice(0, at)).length);
    assert.deepEqual(midCrlf.items, mid.items);
    assert.equal(midCrlf.reason, mid.reason);
  });

  it('never generates a \\r, and sees the text after the cursor and the next line through the \\r', () => {
    const block = decodeSettings({ threshold: Infinity, maxChars: 200, scope: 'block' });
    const text = crlf(CODE.replace(/\n\nexport class Counter[\s\S]*/, '\n\nexport class Counter {\n'));
    const r = complete(text, text.length, block);
    assert.ok(r.items.length > 0, JSON.stringify(r));
    for (const it of r.items) assert.ok(!it.text.includes('\r'), JSON.stringify(it.text));
    // "  return a + b;" typed up to "  return a + b" with ";\r\n" after it: a completion that only
    // repeats the suffix is not shown, whatever the line ending
    const lf = CODE, doc = crlf(CODE);
    const cut = lf.indexOf('  return a + b') + '  return a + b'.length;
    const cutCrlf = crlf(lf.slice(0, cut)).length;
    assert.equal(doc.slice(cutCrlf, cutCrlf + 3), ';\r\n');
    const x = complete(lf, cut), y = complete(doc, cutCrlf);
    assert.deepEqual(y.items, x.items);
    assert.equal(y.reason, x.reason);
  });
});
