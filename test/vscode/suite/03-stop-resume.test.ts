// Stop saves and ends a run; Resume continues the stored model where it stopped.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { loadCheckpoint } from '../../../src/model-files/checkpoint-file';
import type { StartedMessage } from '../../../src/extension/training/controller';
import { clean, getApi, messagesSince, waitFor } from '../helpers';

describe('Stop and Resume Training', () => {
  it('Stop saves the model and ends the run', async () => {
    const api = await getApi();
    await clean(api);
    const run = vscode.commands.executeCommand('lstmLens.train');
    await waitFor('a few training steps', () => (api.controller.current?.progress?.step ?? 0) >= 3, 30_000);
    const from = api.messages.length;
    await vscode.commands.executeCommand('lstmLens.stop');
    await run;
    const o = await api.commands.whenIdle();
    assert.ok(o && o.kind === 'done' && o.reason === 'stopped', JSON.stringify(o));
    assert.ok(api.controller.remainingMs > 0, 'the unused budget is kept for Resume');
    assert.match(api.statusBarItem.text, /LSTM: stopped/);
    assert.match(messagesSince(api, from).join('\n'), /stopped training and saved the model at step \d+/);
    const ck = loadCheckpoint(api.store.modelPath!);
    assert.equal(ck.training.steps, o.step, 'the saved model is the stopped one');
  });

  it('Resume continues from the stored model', async () => {
    const api = await getApi();
    const before = loadCheckpoint(api.store.modelPath!).training;
    let started: StartedMessage | undefined;
    api.controller.once('started', (m: StartedMessage) => { started = m; });
    const from = api.messages.length;
    await vscode.commands.executeCommand('lstmLens.resume');
    assert.ok(started, 'a run started');
    assert.equal(started.resumed, true);
    assert.equal(started.step, before.steps, 'it picks up at the stored step');
    const o = await api.commands.whenIdle();
    assert.ok(o && o.kind === 'done' && (o.lastStep ?? o.step) > before.steps, `the run trained on from step ${before.steps}: ${JSON.stringify(o)}`);
    // validation decides what is kept: the model on disk went on, or the run said it kept the stored one
    const after = loadCheckpoint(api.store.modelPath!).training;
    if (after.steps === before.steps) {
      assert.match(messagesSince(api, from).join('\n'), new RegExp(`the model kept is the one of step ${before.steps} `), 'a model that did not improve is not saved over the stored one, and the user is told');
    } else {
      assert.ok(after.steps > before.steps && after.charsSeen > before.charsSeen, `steps went on: ${before.steps} -> ${after.steps}`);
      assert.ok(after.valBpcHistory.length > before.valBpcHistory.length, 'the validation history grows across runs');
    }
  });

  it('Stop when nothing runs says so', async () => {
    const api = await getApi();
    const from = api.messages.length;
    await vscode.commands.executeCommand('lstmLens.stop');
    assert.match(messagesSince(api, from).join('\n'), /not training/);
  });
});
