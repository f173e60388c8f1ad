// The cell-activation panel in a real VS Code: with a fixture model (hand-built, so its quote cell
// 0:5 is known) it opens, lists the discovered cells, follows the editor and computes the cell's
// values in the worker (high inside a string, low outside); raw cells, gate saturation, the
// decorations option; a Reset or Import while it is open; and a clear state for every bad input:
// no model, a binary file, an empty untitled editor, an untitled one with text, a 5 MB file.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as vscode from 'vscode';
import type { DiscoveredCell } from '../../../src/cells/discover';
import { readDiscoveredCells } from '../../../src/cells/cell-list';
import { loadCheckpoint, saveCheckpoint } from '../../../src/model-files/checkpoint-file';
import { COLUMN_CELL, QUOTE_CELL, handBuiltCheckpoint, quoteHeavyCode } from '../../fixtures/cells/hand-model';
import type { ToCellsPanel } from '../../../src/extension/cells/panel-messages';
import { clean, getApi, waitFor } from '../helpers';
import { spyOnWebviewPanel } from '../webview-spy';
import { CellsView, showCellsPanel } from '../cells-spy';

const FOUND: DiscoveredCell[] = [
  { label: 'quote', layer: 0, index: QUOTE_CELL, metric: 'auc', score: 0.99, sign: 1, probe: 1, floor: 0.9, scoreInner: 1, variant: 'c', selectScore: 0.99 },
  { label: 'column', layer: 0, index: COLUMN_CELL, metric: 'r', score: 0.88, sign: 1, probe: 0.98, floor: 0.94, variant: 'c', selectScore: 0.88 },
];

async function open(file: string, text?: string): Promise<vscode.TextEditor> {
  if (text !== undefined) fs.writeFileSync(file, text);
  const doc = await vscode.workspace.openTextDocument(file);
  return vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
}

describe('cell-activation panel', () => {
  let ws: string;
  /** the open panel, as its page sees it */
  let panel: CellsView;
  before(async () => {
    const api = await getApi();
    await clean(api);
    ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    api.store.ensureDir();
    saveCheckpoint(api.store.modelPath!, { ...handBuiltCheckpoint(), cells: FOUND });
  });
  after(async () => {
    const api = await getApi();
    api.cellsPanel.close();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await clean(api);
  });

  it('is a contributed command', async () => {
    assert.ok((await vscode.commands.getCommands(true)).includes('lstmLens.showCellActivations'));
  });

  it('opens, lists the discovered cells and paints the followed file: the quote cell is high inside strings', async () => {
    const api = await getApi();
    const text = 'const greeting = "hello, world";\nlet n = 1;\n' + quoteHeavyCode(30);
    await open(path.join(ws, 'cells-fixture.js'), text);
    panel = await showCellsPanel();
    assert.equal(api.cellsPanel.visible, true);
    const model = await waitFor('the model to reach the panel', () => panel.model);
    assert.deepEqual(model.options.map((o) => o.label), ['layer 0, #5: quote AUC 0.99', 'layer 0, #9: column r 0.88']);
    assert.equal(model.selected, `0:${QUOTE_CELL}`, 'the first discovered cell is shown first');
    assert.equal(model.noDiscovered, false);
    // computed to the end, and a value sent for every character
    const done = await waitFor('the whole file to be computed', () => panel.current?.done && panel.current.values.get(`0:${QUOTE_CELL}`)?.every((x) => !Number.isNaN(x)) && panel.current);
    assert.equal(done.document.text, text);
    const q = done.values.get(`0:${QUOTE_CELL}`)!;
    assert.equal(q.length, [...text].length);
    const chars = [...text];
    const inside = chars.indexOf('w'), outside = text.indexOf('let n') + 4;   // ASCII: UTF-16 index = code point
    assert.ok(q[inside] > 0.5 && q[outside] < -0.5, `inside ${q[inside]}, outside ${q[outside]}`);
    assert.equal(panel.state?.kind, 'ready');
    await waitFor('the webview to paint characters', () => panel.paints.some(([v, , n]) => v === done.version && n > 50));
    assert.deepEqual(panel.cspViolations, []);
  });

  it('shows any raw cell, the gate saturation and the heatmap in the editor', async () => {
    const from = panel.sentCount;
    panel.click({ type: 'select', key: '1:3' });
    await waitFor('values of the raw cell 1:3', () => panel.current?.done && panel.current.values.has('1:3'));
    assert.ok(panel.sentSince(from).some((m) => m.type === 'values' && m.key === '1:3'), 'the selected cell is 1:3');
    panel.click({ type: 'view', view: 'gates' });
    await waitFor('the gate plot', () => panel.gatePoints === 2 * 3 * 16);
    panel.click({ type: 'decorations', on: true });
    panel.click({ type: 'view', view: 'heatmap' });
    panel.click({ type: 'select', key: `0:${QUOTE_CELL}` });
    panel.click({ type: 'decorations', on: false });
    assert.deepEqual(panel.problems, []);
  });

  it('follows edits', async () => {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath.endsWith('cells-fixture.js'))!;
    const before = panel.current!.version;
    await editor.edit((b) => b.insert(new vscode.Position(0, 0), 'const x = "edited";\n'));
    const after = await waitFor('the edited text to be computed', () => panel.current?.version !== before && panel.current?.done && panel.current);
    assert.equal(after.document.text, editor.document.getText());
    const q = after.values.get(`0:${QUOTE_CELL}`)!;
    assert.ok(q[12] > 0.5, `inside the new string: ${q[12]}`);
  });

  it('a click on a character moves the editor there and lists the cells most active at it; a selection lists the cells most selectively active in it', async () => {
    const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.fsPath.endsWith('cells-fixture.js'))!;
    await waitFor('the edited text to be computed', () => panel.current?.done);
    const text = editor.document.getText();   // ASCII: UTF-16 index = code point
    const at = text.indexOf('"hello') + 3;
    let from = panel.sentCount;
    panel.click({ type: 'goto', at });
    const click = await waitFor('the cells most active at the click', () => panel.sentSince(from).find((m): m is Extract<ToCellsPanel, { type: 'active' }> => m.type === 'active'));
    assert.deepEqual(editor.selection.active, editor.document.positionAt(at), 'the editor\'s cursor is where the click was');
    assert.equal(click.from, 'click');
    assert.deepEqual([click.start, click.end], [at, at + 1]);
    assert.equal(click.cells.length, 10);

    // select the inside of a string: the quote cell is among the cells most selectively active there
    const s = text.indexOf('"hello') + 1, e = text.indexOf('"', s);
    from = panel.sentCount;
    editor.selection = new vscode.Selection(editor.document.positionAt(s), editor.document.positionAt(e));
    const sel = await waitFor('the cells most active in the selection', () => panel.sentSince(from).find((m): m is Extract<ToCellsPanel, { type: 'active' }> => m.type === 'active' && m.from === 'selection'));
    assert.deepEqual([sel.start, sel.end], [s, e]);
    const quote = sel.cells.find((c) => c.key === `0:${QUOTE_CELL}`);
    assert.ok(quote && quote.score > 0 && quote.inside > quote.around, JSON.stringify(sel.cells.slice(0, 4)));
    assert.match(quote.label ?? '', /quote AUC 0\.99/, 'with what discovery says the cell tracks');
    assert.deepEqual(panel.problems, []);
  });

  it('keeps the extension host responsive while it follows a 2,000-line file being edited and scrolled', async () => {
    const api = await getApi();
    const resolution = 5;
    const delay = (ns: number) => Math.max(0, ns / 1e6 - resolution);
    // the same edits and scrolls with the panel closed, then open: what the panel adds
    const session = async (file: string) => {
      const editor = await open(path.join(ws, file), quoteHeavyCode(2000));
      await new Promise((r) => setTimeout(r, 500));
      const h = monitorEventLoopDelay({ resolution });
      h.enable();
      for (let i = 0; i < 6; i++) {
        await editor.edit((b) => b.insert(new vscode.Position(100 * i, 0), `const s${i} = "typed";\n`));
        editor.revealRange(new vscode.Range(300 * i, 0, 300 * i, 0), vscode.TextEditorRevealType.AtTop);
        await new Promise((r) => setTimeout(r, 400));
      }
      h.disable();
      return { p50: delay(h.percentile(50)), p99: delay(h.percentile(99)), max: delay(h.max) };
    };
    api.cellsPanel.close();
    const without = await session('cells-long-a.js');
    panel = await showCellsPanel();
    await waitFor('the panel ready', () => panel.state?.kind === 'ready');
    const withPanel = await session('cells-long-b.js');
    const f = (x: { p50: number; p99: number; max: number }) => `p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms, max ${x.max.toFixed(1)} ms`;
    console.log(`      event-loop delay, edits and scrolls without the panel: ${f(without)}; with it: ${f(withPanel)}`);
    // Relative to the same work without the panel: on a loaded 2-core machine editing a 2,000-line
    // file alone already shows p99 delays of 50-70 ms.
    assert.ok(withPanel.p99 < Math.max(100, 2 * without.p99), `p99 ${withPanel.p99.toFixed(1)} ms with the panel, ${without.p99.toFixed(1)} ms without`);
    await waitFor('the edited long file computed', () => panel.current?.doc.endsWith('cells-long-b.js') && panel.current.done, 120_000);
  });

  it('gives a clear state for a binary file, empty and untitled editors and a 5 MB file', async () => {
    // VS Code itself refuses to open a file with NUL bytes as text; a document can still hold them
    const binary = await vscode.workspace.openTextDocument({ content: 'PK\u0000\u0003 not text \u0000\u0000' });
    await vscode.window.showTextDocument(binary, vscode.ViewColumn.One);
    await waitFor('the binary state', () => panel.state?.kind === 'binary');
    assert.match(panel.state!.message, /binary/);

    const empty = await vscode.workspace.openTextDocument({ language: 'python', content: '' });
    await vscode.window.showTextDocument(empty, vscode.ViewColumn.One);
    await waitFor('the empty state', () => panel.state?.kind === 'empty');

    const untitled = await vscode.workspace.openTextDocument({ language: 'python', content: 's = "untitled text"\n' });
    await vscode.window.showTextDocument(untitled, vscode.ViewColumn.One);
    await waitFor('an untitled editor painted', () => panel.current?.done && panel.current.doc === untitled.uri.toString());

    const big = path.join(ws, 'cells-big.js');
    const line = 'const s = "a string"; // and a comment\n';
    fs.writeFileSync(big, line.repeat(Math.ceil((5 * 1024 * 1024) / line.length)));
    await open(big);
    const v = await waitFor('the 5 MB file painted around the view', () => {
      const d = panel.current;
      return d && d.doc.endsWith('cells-big.js') && !Number.isNaN(d.values.get(`0:${QUOTE_CELL}`)?.[12] ?? NaN) && d;
    }, 90_000);
    assert.equal(v.done, false, 'only the part in view');
    assert.ok(v.values.get(`0:${QUOTE_CELL}`)![12] > 0.5);
    assert.equal(panel.state?.kind, 'ready');
    fs.rmSync(big);
  });

  it('finds the cells of a model that has none yet, on the workspace\'s held-out files, and stores them', async () => {
    const api = await getApi();
    api.cellsPanel.close();
    saveCheckpoint(api.store.modelPath!, handBuiltCheckpoint());   // no cells
    await open(path.join(ws, 'README.md'));                        // markdown: no grammar, still painted
    panel = await showCellsPanel();
    const model = await waitFor('cells found and listed', () => (panel.model?.options.length ?? 0) > 0 && panel.model, 90_000);
    assert.ok(model.options.length >= 3, model.options.map((o) => o.label).join(' | '));
    // stored: every label's cells; listed: one entry per cell, carrying all of its labels
    const stored = readDiscoveredCells(loadCheckpoint(api.store.modelPath!).cells, { layers: 2, hidden: 16 });
    assert.equal(new Set(stored.map((c) => `${c.layer}:${c.index}`)).size, model.options.length);
    assert.deepEqual(new Set(model.options.map((o) => o.key)), new Set(stored.map((c) => `${c.layer}:${c.index}`)));
    await waitFor('the markdown file painted', () => panel.current?.done && panel.current.doc.endsWith('README.md'));
  });

  it('drops the model at once when it is reset, and shows an imported one, while it stays open', async () => {
    const api = await getApi();
    await open(path.join(ws, 'cells-fixture.js'));
    panel = await showCellsPanel();
    await waitFor('the panel ready with the stored model', () => panel.current?.done && panel.current.doc.endsWith('cells-fixture.js'));
    assert.ok((panel.model?.options.length ?? 0) >= 3, 'the cells found in the previous test');

    const atReset = panel.sentCount;
    await vscode.commands.executeCommand('lstmLens.reset', { confirm: false });
    await waitFor('the no-model state', () => panel.state?.kind === 'no-model', 5_000);
    assert.equal(api.cellsPanel.visible, true);
    assert.equal(panel.spy.disposed, false, 'the panel stays open');
    assert.equal(panel.model, undefined, 'no cells of the deleted model are offered');
    assert.equal(panel.current, undefined, 'no values of the deleted model are shown');
    await new Promise((r) => setTimeout(r, 500));
    const sinceReset = panel.sentSince(atReset).map((m) => m.type);
    for (const t of ['model', 'document', 'values', 'progress', 'gates'] as const) assert.ok(!sinceReset.includes(t), `nothing of the deleted model is sent after the reset (${sinceReset.join(', ')})`);
    const atImport = panel.sentCount;

    // a model with one discovered cell: the column cell, not the quote cell
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-cells-import-'));
    try {
      const file = path.join(dir, 'imported.safetensors');
      saveCheckpoint(file, { ...handBuiltCheckpoint(), cells: [FOUND[1]] });
      assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(file), { confirm: false }), true);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const model = await waitFor('the imported model in the panel', () => panel.model, 30_000);
    assert.deepEqual(model.options.map((o) => o.label), ['layer 0, #9: column r 0.88']);
    assert.equal(model.selected, `0:${COLUMN_CELL}`);
    const done = await waitFor('the followed file computed with the imported model', () => panel.current?.done && panel.current, 60_000);
    assert.ok(done.values.has(`0:${COLUMN_CELL}`));
    assert.ok(panel.sentSince(atImport).some((m) => m.type === 'document' && m.document.version === done.version), 'the document was sent again for the imported model');
    assert.equal(panel.state?.kind, 'ready');
    assert.deepEqual(panel.problems, []);
  });

  it('says so when there is no model: its page, once ready, is told so and given nothing to paint', async () => {
    const api = await getApi();
    api.cellsPanel.close();
    await vscode.commands.executeCommand('lstmLens.reset', { confirm: false });
    assert.equal(api.store.exists(), false);
    const spy = await spyOnWebviewPanel<ToCellsPanel>('lstmLens.cells', () => vscode.commands.executeCommand('lstmLens.showCellActivations'));
    assert.equal(spy.panel.title, 'LSTM Lens: Cell Activations');
    await waitFor('the page\'s own ready message', () => spy.fromPage.some((m) => m.type === 'ready'), 30_000);
    const state = await waitFor('the no-model state sent to the ready page',
      () => spy.toPage.find((x) => x.afterReady && x.m.type === 'state' && x.m.state.kind === 'no-model'));
    assert.equal(await state.delivered, true, 'delivered to the page');
    assert.match((state.m as Extract<ToCellsPanel, { type: 'state' }>).state.message, /^No trained model in this workspace yet\. Train one first/);

    await new Promise((r) => setTimeout(r, 500));
    const sentTypes = spy.toPage.map((x) => x.m.type);
    for (const t of ['model', 'document', 'values', 'gates'] as const) assert.ok(!sentTypes.includes(t), `nothing of a model is sent (${sentTypes.join(', ')})`);
    assert.deepEqual(spy.fromPage.filter((m) => m.type === 'painted' || m.type === 'csp-violation'), [], 'the page painted no text');

  });
});
