// The Training panel opens without CSP violations; Export and Import round-trip the model.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadCheckpoint } from '../../../src/node/checkpoint-file';
import { getApi, messagesSince, waitFor } from '../helpers';

describe('Training panel, Export and Import', () => {
  it('opens the Training panel', async () => {
    const api = await getApi();
    await vscode.commands.executeCommand('lstmLens.showTraining');
    assert.equal(api.panel.visible, true);
    await new Promise((r) => setTimeout(r, 1500));
    assert.deepEqual(api.panel.cspViolations, []);
  });

  it('exports the model and imports it back after a reset', async () => {
    const api = await getApi();
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const target = path.join(ws, 'exported.safetensors');
    const steps = loadCheckpoint(api.store.modelPath!).training.steps;
    await vscode.commands.executeCommand('lstmLens.exportModel', vscode.Uri.file(target));
    assert.equal(loadCheckpoint(target).training.steps, steps, 'the export is a valid checkpoint');

    assert.equal(await vscode.commands.executeCommand('lstmLens.reset', { confirm: false }), true);
    assert.equal(api.store.exists(), false);
    assert.match(api.statusBarItem.text, /LSTM: no model/);

    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(target)), true);
    assert.equal(loadCheckpoint(api.store.modelPath!).training.steps, steps);
    await waitFor('the status bar to show the imported model', () => /LSTM: ready/.test(api.statusBarItem.text));
  });

  it('refuses to import a file that is not a model, keeping the stored one', async () => {
    const api = await getApi();
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const junk = path.join(ws, 'junk.safetensors');
    fs.writeFileSync(junk, 'garbage');
    const before = fs.readFileSync(api.store.modelPath!);
    const from = api.messages.length;
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(junk)), false);
    assert.match(messagesSince(api, from).join('\n'), /Cannot import junk\.safetensors/);
    assert.deepEqual(fs.readFileSync(api.store.modelPath!), before);
  });
});
