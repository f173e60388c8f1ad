// VS Code closing mid-training: the extension's deactivate() (what VS Code calls on shutdown)
// asks the training worker to save and end, and the model is on disk afterwards, even though no
// periodic save had happened yet. Runs last in its window: after deactivate the extension is
// shut down.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadCheckpoint } from '../../../src/model-files/checkpoint-file';
import { EXTENSION_ID, clean, getApi, keepWorkspaceSettings, waitFor } from '../helpers';

describe('VS Code closing mid-training', () => {
  it('deactivate saves the model of the run and ends it', async () => {
    const api = await getApi();
    await clean(api);
    const restore = keepWorkspaceSettings('lstmLens', ['timeBudgetMinutes', 'saveIntervalSeconds']);
    await vscode.workspace.getConfiguration('lstmLens').update('timeBudgetMinutes', 1, vscode.ConfigurationTarget.Workspace);
    // no periodic save in this run: a save every 10 minutes
    await vscode.workspace.getConfiguration('lstmLens').update('saveIntervalSeconds', 600, vscode.ConfigurationTarget.Workspace);
    try {
      const run = vscode.commands.executeCommand('lstmLens.train');
      const step = await waitFor('a few training steps', () => (api.controller.current?.progress?.step ?? 0) >= 5 && api.controller.current!.progress!.step, 30_000);
      assert.equal(api.store.exists(), false, 'nothing saved yet');
      assert.equal(api.controller.current?.lastSave, undefined);
      // the very module VS Code loaded (one require cache), and its deactivate, as VS Code calls it
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const main = require(path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'extension.js')) as { deactivate(): Promise<void> };
      const t0 = Date.now();
      await main.deactivate();
      assert.ok(Date.now() - t0 < 15_000, 'within the stop timeout');
      assert.equal(api.controller.running, false, 'the worker has ended');
      assert.ok(api.store.exists(), 'the model was saved on the way out');
      const ck = loadCheckpoint(api.store.modelPath!);
      assert.ok(ck.training.steps >= step, `saved at step ${ck.training.steps}, after step ${step} was reported`);
      await run;
    } finally {
      await restore();
    }
  });
});
