// The extension activates in a real VS Code, contributes its commands and settings, and shows
// its status bar item.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { clean, getApi } from '../helpers';

describe('activation', () => {
  it('registers every training command', async () => {
    await getApi();
    const all = await vscode.commands.getCommands(true);
    for (const id of ['train', 'stop', 'resume', 'reset', 'generateSample', 'exportModel', 'importModel', 'showTraining']) {
      assert.ok(all.includes(`lstmLens.${id}`), `lstmLens.${id} is registered`);
    }
  });

  it('documents its settings and reads the workspace values', () => {
    const c = vscode.workspace.getConfiguration('lstmLens');
    assert.equal(c.inspect('timeBudgetMinutes')?.defaultValue, 15);
    assert.equal(c.inspect('hiddenSize')?.workspaceValue, 32, 'the fixture workspace asks for a tiny model');
    const ext = vscode.extensions.getExtension('lstm-lens.lstm-lens')!;
    const sections = ext.packageJSON.contributes.configuration as { title: string; properties: Record<string, { markdownDescription?: string; description?: string }> }[];
    const props = Object.assign({}, ...sections.map((s) => s.properties)) as Record<string, { markdownDescription?: string; description?: string }>;
    for (const key of ['cell', 'layers', 'hiddenSize', 'sequenceLength', 'batchSize', 'optimizer', 'learningRate', 'dropout',
      'timeBudgetMinutes', 'threads', 'include', 'maxCorpusMB']) {
      const p = props[`lstmLens.${key}`];
      assert.ok(p && (p.markdownDescription || p.description), `lstmLens.${key} is documented`);
    }
  });

  it('shows the state in the status bar', async () => {
    const api = await getApi();
    await clean(api);
    assert.match(api.statusBarItem.text, /LSTM: no model/);
    assert.equal(api.statusBarItem.command, 'lstmLens.showTraining');
  });
});
