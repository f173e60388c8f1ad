// Train on Workspace: a few seconds of training on the fixture workspace write a valid
// checkpoint into the extension's workspace storage; the status bar follows the run.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { loadCheckpoint } from '../../../src/model-files/checkpoint-file';
import { clean, getApi, messagesSince, waitFor } from '../helpers';

describe('Train on Workspace', () => {
  it('trains in a worker and writes a valid checkpoint into workspace storage', async () => {
    const api = await getApi();
    await clean(api);
    const from = api.messages.length;
    const run = vscode.commands.executeCommand('lstmLens.train');
    const seen = await waitFor('the status bar to show training progress',
      () => api.controller.current?.progress && /LSTM: training/.test(api.statusBarItem.text) && api.statusBarItem.text, 30_000);
    assert.match(seen, /LSTM: training · (val –|\d+\.\d\d bpc) · [\d.]+k? ch\/s · \d+:\d\d left/);
    await run;
    const outcome = await api.commands.whenIdle();
    assert.equal(outcome?.kind, 'done', JSON.stringify(outcome));
    assert.equal(outcome.kind === 'done' && outcome.reason, 'budget');

    const file = api.store.modelPath!;
    assert.ok(file.startsWith(api.store.dir!) && fs.existsSync(file), `model saved in workspace storage (${file})`);
    const ck = loadCheckpoint(file);
    assert.equal(ck.config.hidden, 32);
    assert.equal(ck.config.layers, 1);
    assert.ok(ck.training.steps > 0, 'trained some steps');
    assert.ok(ck.training.valBpcHistory.length > 0, 'validation was scored');
    assert.ok(ck.vocab.includes('{') && ck.vocab.includes('e'));

    const msgs = messagesSince(api, from).join('\n');
    assert.match(msgs, /training on \d+ files/);
    assert.match(msgs, /skipped 1 binary file/, 'the binary file is reported as skipped');
    assert.match(msgs, /finished training/);
    assert.match(api.statusBarItem.text, /LSTM: ready · \d+\.\d\d bpc/);
    assert.ok(api.history.train.length > 0 && api.history.val.length > 0, 'the panel history has both curves');
    assert.ok(api.history.samples.length > 0 && api.history.samples[0].text.length > 0, 'samples were taken');
  });

  it('answers a second Train while one runs with one clear message', async () => {
    const api = await getApi();
    const run = vscode.commands.executeCommand('lstmLens.train', { existingModel: 'continue' });
    await waitFor('training to start', () => api.controller.running);
    const from = api.messages.length;
    await vscode.commands.executeCommand('lstmLens.train');
    const msgs = messagesSince(api, from);
    assert.equal(msgs.filter((m) => /already training/.test(m)).length, 1, msgs.join('\n'));
    assert.ok(api.controller.running, 'the first run goes on');
    await vscode.commands.executeCommand('lstmLens.stop');
    await run;
    assert.equal(api.controller.running, false);
  });
});
