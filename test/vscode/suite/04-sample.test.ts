// Generate Sample opens an untitled editor with text from the stored model.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { ensureTrainedModel, getApi } from '../helpers';

describe('Generate Sample', () => {
  before(async () => ensureTrainedModel(await getApi()));

  it('opens an untitled editor with a sample of the model', async () => {
    const api = await getApi();
    assert.ok(api.store.exists(), 'a trained model is stored');
    const text = await vscode.commands.executeCommand<string>('lstmLens.generateSample', { length: 300 });
    assert.ok(typeof text === 'string' && text.length > 50, `got ${JSON.stringify(text)}`);
    const editor = vscode.window.activeTextEditor;
    assert.ok(editor, 'an editor is open');
    assert.equal(editor.document.isUntitled, true);
    assert.equal(editor.document.getText(), text);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
  });
});
