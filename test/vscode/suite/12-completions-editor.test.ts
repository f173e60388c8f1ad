// Ghost completions in the real editor, beyond the basics of 08-completions: a CRLF document
// completes as its LF twin does and Tab keeps its line ends; asking explicitly offers the
// alternatives the setting names, and the editor cycles through them (Alt+]); the debounce
// setting holds a typed request back that long (an explicit one, or one answered already, not at
// all), and a keystroke in the meantime (a cancelled token) gets nothing; a completion over a )
// VS Code closed by itself replaces it; with the suggest widget open the completion continues its
// selected item; nothing is offered after Backspace. Trains its own model when run alone.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ensureTrainedModel, getApi, waitFor } from '../helpers';

const PREFIX = `// A small stack with a fixed capacity.
export class Stack<T> {
  private items: T[] = [];

  constructor(private readonly capacity: number) {
    if (capacity <= 0) {
      throw new Error('capacity must be po`;
const SUFFIX = `\n    }\n  }\n}\n`;

const INVOKE: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined };
const TYPED: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Automatic, selectedCompletionInfo: undefined };
const completions = () => vscode.workspace.getConfiguration('lstmLens.completions');
const WS = vscode.ConfigurationTarget.Workspace;

async function openAt(name: string, text: string, offset: number): Promise<vscode.TextEditor> {
  const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'src', name);
  fs.writeFileSync(file, text);
  const doc = await vscode.workspace.openTextDocument(file);
  const editor = await vscode.window.showTextDocument(doc, { preview: false });
  const at = doc.positionAt(offset);
  editor.selection = new vscode.Selection(at, at);
  return editor;
}

const token = () => new vscode.CancellationTokenSource().token;
const texts = (l: vscode.InlineCompletionList | undefined) => (l?.items ?? []).map((i) => String(i.insertText));

describe('ghost completions in the editor', () => {
  const made: string[] = [];
  before(async () => {
    const api = await getApi();
    await ensureTrainedModel(api);
    await api.completions.refresh();
    await waitFor('the completion worker to load the model', () => api.completions.model, 30_000);
    // a model trained for seconds is unsure, and the mixture keeps adapting (the open document's
    // n-gram counts, the mixer's weights), so the same request can be answered differently a
    // moment later: the LSTM alone, every completion shown, answers each context the same way
    await completions().update('component', 'lstm', WS);
    await completions().update('threshold', 1000, WS);
  });
  after(async () => {
    for (const key of ['component', 'threshold', 'alternatives', 'debounceMs']) await completions().update(key, undefined, WS);
    await vscode.commands.executeCommand('workbench.action.files.saveAll');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const f of made) fs.rmSync(f, { force: true });
  });

  it('a CRLF document completes as its LF twin, and Tab keeps its CRLF line ends', async () => {
    const api = await getApi();
    const lf = await openAt('twin-lf.ts', PREFIX + SUFFIX, PREFIX.length);
    const crlfText = (PREFIX + SUFFIX).replace(/\n/g, '\r\n');
    const crlf = await openAt('twin-crlf.ts', crlfText, PREFIX.replace(/\n/g, '\r\n').length);
    made.push(lf.document.fileName, crlf.document.fileName);
    assert.equal(crlf.document.eol, vscode.EndOfLine.CRLF);
    assert.equal(lf.document.eol, vscode.EndOfLine.LF);
    const a = await api.completions.provideInlineCompletionItems(lf.document, lf.selection.active, INVOKE, token());
    const b = await api.completions.provideInlineCompletionItems(crlf.document, crlf.selection.active, INVOKE, token());
    assert.ok(texts(a).length > 0, 'the LF document gets a completion');
    assert.deepEqual(texts(b), texts(a), 'the CRLF document gets the same completions');
    assert.ok(texts(b).every((t) => !/[\r\n]/.test(t)), JSON.stringify(texts(b)));
    // accepted in the editor: on the cursor's line, the line ends stay CRLF
    const before = crlf.document.getText();
    const accepted = await waitFor('a ghost completion accepted in the CRLF document', async () => {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      await new Promise((r) => setTimeout(r, 400));
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      const t = crlf.document.getText();
      return t !== before && t;
    }, 30_000);
    assert.equal(crlf.document.eol, vscode.EndOfLine.CRLF);
    assert.equal(accepted.replace(/\r\n/g, '').includes('\n'), false, 'no lone LF was inserted');
    assert.equal(accepted.split('\r\n').length, before.split('\r\n').length, 'the completion stayed on its line');
    assert.ok(accepted.startsWith(PREFIX.replace(/\n/g, '\r\n')) && accepted.endsWith(SUFFIX.replace(/\n/g, '\r\n')));
  });

  it('asking explicitly offers the alternatives the setting names, and the editor cycles through them', async () => {
    const api = await getApi();
    const editor = await openAt('cycle.ts', PREFIX, PREFIX.length);
    made.push(editor.document.fileName);
    const ask = async (n: number) => {
      await completions().update('alternatives', n, WS);
      const explicit = texts(await api.completions.provideInlineCompletionItems(editor.document, editor.selection.active, INVOKE, token()));
      assert.ok(explicit.length >= 1 && explicit.length <= n, `${n} asked for: ${JSON.stringify(explicit)}`);
      assert.equal(new Set(explicit).size, explicit.length, 'each alternative differs');
      return explicit;
    };
    const five = await ask(5), two = await ask(2), one = await ask(1);
    assert.ok(five.length >= 2, `several alternatives: ${JSON.stringify(five)}`);
    assert.equal(one.length, 1);
    assert.equal(two[0], one[0], 'the best one comes first');
    assert.equal(five[0], one[0]);
    for (const t of two) assert.ok(five.includes(t), `${JSON.stringify(t)} is among the surest alternatives: ${JSON.stringify(five)}`);
    await completions().update('alternatives', 5, WS);
    const typed = texts(await api.completions.provideInlineCompletionItems(editor.document, editor.selection.active, TYPED, token()));
    assert.ok(typed.length <= 1, `while typing only the best one: ${JSON.stringify(typed)}`);
    const offered = texts(await api.completions.provideInlineCompletionItems(editor.document, editor.selection.active, INVOKE, token()));

    // in the editor: the first one, then (Alt+]) the next one
    const acceptWith = async (cycles: number) => waitFor(`a completion accepted after ${cycles} cycle(s)`, async () => {
      await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
      await new Promise((r) => setTimeout(r, 400));
      for (let i = 0; i < cycles; i++) {
        await vscode.commands.executeCommand('editor.action.inlineSuggest.showNext');
        await new Promise((r) => setTimeout(r, 200));
      }
      await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
      const t = editor.document.getText();
      if (t === PREFIX) return false;
      await vscode.commands.executeCommand('undo');
      await waitFor('the undo', () => editor.document.getText() === PREFIX, 5_000);
      return t.slice(PREFIX.length);
    }, 30_000);
    const first = await acceptWith(0);
    const next = await acceptWith(1);
    assert.ok(offered.includes(first), `${JSON.stringify(first)} is one of ${JSON.stringify(offered)}`);
    assert.ok(offered.includes(next), `${JSON.stringify(next)} is one of ${JSON.stringify(offered)}`);
    assert.notEqual(next, first, 'Alt+] showed another alternative');
  });

  it('the debounce setting holds a typed request back that long; the same request again is answered at once; a keystroke meanwhile gets nothing', async () => {
    const api = await getApi();
    const text = PREFIX + '\n';
    const editor = await openAt('debounce.ts', text, PREFIX.length);
    made.push(editor.document.fileName);
    const typedRequest = async (offset = PREFIX.length, source = new vscode.CancellationTokenSource()) => {
      const t0 = Date.now();
      const r = await api.completions.provideInlineCompletionItems(editor.document, editor.document.positionAt(offset), TYPED, source.token);
      return { ms: Date.now() - t0, r };
    };
    await completions().update('debounceMs', 0, WS);
    const quick = await typedRequest();
    assert.ok(texts(quick.r).length > 0);
    await completions().update('debounceMs', 600, WS);
    // the place answered last: its answer again, without the debounce
    const again = await typedRequest();
    assert.deepEqual(texts(again.r), texts(quick.r));
    assert.ok(again.ms < 590, `an answer already given waits for no debounce (${again.ms} ms)`);
    // another place: not answered yet, so held back
    const slow = await typedRequest(PREFIX.length - 3);
    assert.ok(slow.ms >= 590, `held back ${slow.ms} ms`);
    // asked explicitly: no debounce
    const t0 = Date.now();
    await api.completions.provideInlineCompletionItems(editor.document, editor.selection.active, INVOKE, token());
    assert.ok(Date.now() - t0 < 590, `an explicit request waits for no debounce (${Date.now() - t0} ms)`);
    // a keystroke within the debounce (VS Code cancels the request's token) gets nothing
    const source = new vscode.CancellationTokenSource();
    const pending = typedRequest(PREFIX.length - 5, source);
    setTimeout(() => source.cancel(), 100);
    assert.equal((await pending).r, undefined);
  });

  describe('from the n-gram of the workspace (definite answers)', () => {
    before(async () => { await completions().update('component', 'ngram', WS); await completions().update('debounceMs', 0, WS); });
    after(async () => { await completions().update('component', 'lstm', WS); await completions().update('debounceMs', undefined, WS); });

    /** Types text as the keyboard does (VS Code auto-closes brackets and quotes on it). */
    const type = async (text: string) => { for (const ch of text) await vscode.commands.executeCommand('type', { text: ch }); };
    /** Whether a ) of the line closes nothing (what an auto-closed ) doubled by the completion leaves). */
    const strayCloser = (line: string) => { let d = 0; for (const ch of line) { d += ch === '(' ? 1 : ch === ')' ? -1 : 0; if (d < 0) return true; } return false; };
    const BODY = `export class Pair {\n  constructor(private readonly capacity: number) {\n`;

    it('over a ) that VS Code closed by itself, the accepted completion reads right', async () => {
      const api = await getApi();
      const editor = await openAt('autoclose.ts', BODY + '\n  }\n}\n', BODY.length);
      made.push(editor.document.fileName);
      await type('    if (');
      const line = () => editor.document.lineAt(editor.selection.active.line).text;
      assert.equal(line(), '    if ()', 'VS Code closed the bracket');
      const list = await api.completions.provideInlineCompletionItems(editor.document, editor.selection.active, INVOKE, token());
      const item = list?.items[0];
      assert.ok(item, 'a completion after `if (`');
      const insert = String(item.insertText);
      const range = item.range!;
      assert.ok(range.start.isEqual(editor.selection.active));
      const replaced = editor.document.getText(range);
      if (/\)/.test(insert)) assert.equal(replaced, ')', `${JSON.stringify(insert)} closes the bracket: it replaces the auto-closed )`);
      const before = editor.document.getText();
      const accepted = await waitFor('the completion accepted', async () => {
        await vscode.commands.executeCommand('editor.action.inlineSuggest.trigger');
        await new Promise((r) => setTimeout(r, 400));
        await vscode.commands.executeCommand('editor.action.inlineSuggest.commit');
        return editor.document.getText() !== before && line();
      }, 30_000);
      assert.equal(accepted, '    if (' + insert + ')'.slice(replaced.length), 'the line is the completion over the )');
      assert.equal(strayCloser(accepted), false, `no ) left over: ${JSON.stringify(accepted)}`);
      console.log(`      accepted over the auto-closed ): ${JSON.stringify(accepted)}`);
    });

    it('with the suggest widget open, the completion continues its selected item over its range', async () => {
      const api = await getApi();
      const editor = await openAt('suggest.ts', BODY + '    if (capa', BODY.length + '    if (capa'.length);
      made.push(editor.document.fileName);
      const pos = editor.selection.active;
      const range = new vscode.Range(pos.translate(0, -4), pos);
      const selectedCompletionInfo = { range, text: 'capacity' };
      const ctx: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Automatic, selectedCompletionInfo };
      const list = await api.completions.provideInlineCompletionItems(editor.document, pos, ctx, token());
      const item = list?.items[0];
      assert.ok(item, 'a completion with the suggest widget open');
      assert.ok(String(item.insertText).startsWith('capacity') && String(item.insertText).length > 'capacity'.length, JSON.stringify(item.insertText));
      assert.ok(item.range!.isEqual(range), 'over the range the selected item replaces');
      // and it is what the document completes with once the item is accepted
      await editor.edit((e) => e.replace(range, 'capacity'));
      const end = editor.document.positionAt(editor.document.getText().length);
      const accepted = await api.completions.provideInlineCompletionItems(editor.document, end, TYPED, token());
      assert.equal(String(item.insertText), 'capacity' + texts(accepted)[0]);
    });

    it('offers nothing after Backspace, and again once the user types', async () => {
      const api = await getApi();
      const editor = await openAt('backspace.ts', BODY + '\n  }\n}\n', BODY.length);
      made.push(editor.document.fileName);
      await type('    this.ca');
      const ask = (kind = TYPED) => api.completions.provideInlineCompletionItems(editor.document, editor.selection.active, kind, token());
      assert.ok(texts(await ask()).length > 0, 'typing is offered a completion');
      await vscode.commands.executeCommand('deleteLeft');
      assert.equal(await ask(), undefined, 'nothing after Backspace');
      assert.ok(texts(await ask(INVOKE)).length > 0, 'asked for explicitly (Alt+\\), it still comes');
      await type('a');
      assert.ok(texts(await ask()).length > 0, 'typing again is offered one again');
    });
  });
});
