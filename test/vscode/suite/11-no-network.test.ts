// "Nothing leaves the machine", in a real VS Code: the no-network guard
// (test/fixtures/no-network/guard.cjs) is loaded into this extension host and, through a
// --require in their execArgv, into every worker thread the extension starts from here on (the
// training worker and its gradient workers, the completion worker, the sampling worker, the
// cells panel's worker). Then the cells panel, training on two threads, Generate Sample and
// completions run, and the guard's record of refused connections stays empty. Leaves the model
// it trained (the next suite completes with it).
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DiscoveredCell } from '../../../src/cells/discover';
import { saveCheckpoint } from '../../../src/model-files/checkpoint-file';
import { QUOTE_CELL, handBuiltCheckpoint, quoteHeavyCode } from '../../fixtures/cells/hand-model';
import { EXTENSION_ID, clean, getApi, keepWorkspaceSettings, waitFor } from '../helpers';
import { showCellsPanel } from '../cells-spy';
import { watchWorkers } from '../workers';

const FOUND: DiscoveredCell[] = [
  { label: 'quote', layer: 0, index: QUOTE_CELL, metric: 'auc', score: 0.99, sign: 1, probe: 1, floor: 0.9, scoreInner: 1, variant: 'c', selectScore: 0.99 },
];
const WS = vscode.ConfigurationTarget.Workspace;

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);

describe('nothing leaves the machine (extension host and its workers)', () => {
  let log: string, guard: string, tmp: string;
  let watch: ReturnType<typeof watchWorkers>;
  const restore = keepWorkspaceSettings('lstmLens', ['threads', 'timeBudgetMinutes']);

  before(async () => {
    const api = await getApi();
    await clean(api);
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-no-net-'));
    log = path.join(tmp, 'net.log');
    process.env.LSTM_LENS_NET_LOG = log;   // read by the guard in this thread and in each worker
    guard = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'test', 'fixtures', 'no-network', 'guard.cjs');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    require(guard);
    watch = watchWorkers({ execArgv: ['--require', guard] });
    // the workers that were started before the guard: started again under it
    api.cellsPanel.close();
    await api.completions.client.dispose();
  });
  after(async () => {
    watch?.restore();
    const api = await getApi();
    api.cellsPanel.close();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await restore();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('the guard is in force here: a connection to another host is refused and recorded', () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const net = require('node:net') as typeof import('node:net');
    assert.throws(() => net.connect(80, 'example.invalid'), /no-network guard/);
    const refused = lines(log);
    assert.equal(refused.length, 1);
    assert.equal(refused[0].target, 'example.invalid');
    fs.rmSync(log);
  });

  it('the cells panel, training on two threads, a sample and completions make no outbound connection', async () => {
    const api = await getApi();
    // the cells panel, on a hand-built model with a known quote cell
    api.store.ensureDir();
    saveCheckpoint(api.store.modelPath!, { ...handBuiltCheckpoint(), cells: FOUND });
    const cellsFile = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'offline-cells.js');
    fs.writeFileSync(cellsFile, quoteHeavyCode(40));
    try {
      const doc = await vscode.workspace.openTextDocument(cellsFile);
      await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
      const panel = await showCellsPanel();
      await waitFor('the cells panel to compute the file', () => panel.current?.done && panel.current.doc === doc.uri.toString(), 60_000);
    } finally {
      api.cellsPanel.close();
      fs.rmSync(cellsFile, { force: true });
    }

    // then training, a sample and completions on a model of the workspace (left for the next suite)
    await clean(api);
    await vscode.workspace.getConfiguration('lstmLens').update('threads', 2, WS);
    await vscode.workspace.getConfiguration('lstmLens').update('timeBudgetMinutes', 0.05, WS);
    let threads = 0;
    api.controller.once('started', (m: { threads: number }) => { threads = m.threads; });
    await vscode.commands.executeCommand('lstmLens.train');
    const outcome = await api.commands.whenIdle();
    assert.equal(outcome?.kind, 'done', JSON.stringify(outcome));
    assert.equal(threads, 2, 'the run trained on two threads (gradient workers inside the training worker)');

    const sample = await vscode.commands.executeCommand<string>('lstmLens.generateSample', { length: 100 });
    assert.ok(sample && sample.length > 0);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');

    await api.completions.refresh();
    await waitFor('the completion worker to load the model', () => api.completions.model, 30_000);
    const restoreThreshold = keepWorkspaceSettings('lstmLens.completions', ['threshold']);
    const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'src', 'offline.ts');
    fs.writeFileSync(file, 'export class Stack<T> {\n  private items: T[] = [];\n  pu');
    try {
      const doc = await vscode.workspace.openTextDocument(file);
      const editor = await vscode.window.showTextDocument(doc, { preview: false });
      const end = doc.positionAt(doc.getText().length);
      editor.selection = new vscode.Selection(end, end);
      // a model trained for seconds is unsure: a threshold that lets any answer of the worker through
      await vscode.workspace.getConfiguration('lstmLens.completions').update('threshold', 1000, WS);
      const list = await api.completions.provideInlineCompletionItems(doc, end,
        { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined }, new vscode.CancellationTokenSource().token);
      assert.ok(list && list.items.length > 0, 'the completion worker answered with a suggestion');
    } finally {
      await restoreThreshold();
      await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
      fs.rmSync(file, { force: true });
    }

    const seen = watch.workers.map((w) => path.basename(w.file));
    for (const w of ['training-worker.js', 'completion-worker.js', 'cells-worker.js']) assert.ok(seen.includes(w), `${w} ran under the guard: ${seen.join(', ')}`);
    assert.ok(seen.filter((w) => w === 'training-worker.js').length >= 2, 'the sampling worker too');
    const loadedIn = lines(`${log}.threads`).filter((t) => !t.mainThread).length;
    assert.ok(loadedIn >= watch.workers.length + 1, `the guard loaded in ${loadedIn} worker threads (${watch.workers.length} started here, and the gradient workers inside them)`);
    assert.deepEqual(lines(log), [], 'no outbound connection was tried');
  });
});
