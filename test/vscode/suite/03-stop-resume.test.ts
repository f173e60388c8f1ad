// Stop saves and ends a run; Resume continues the stored model where it stopped.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { loadCheckpoint } from '../../../src/model-files/checkpoint-file';
import type { ProgressMessage, StartedMessage } from '../../../src/extension/training/controller';
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
    const stoppedCurve = api.history.train.slice();   // the curve of the stopped run, drawn in this window
    let started: StartedMessage | undefined;
    api.controller.once('started', (m: StartedMessage) => { started = m; });
    // the counters go on from the run's step: what the status bar, the notification and the panel show
    const progress: ProgressMessage[] = [];
    const bars: string[] = [];
    const onProgress = (p: ProgressMessage) => { progress.push(p); bars.push(api.statusBarItem.text); };
    api.controller.on('progress', onProgress);
    const from = api.messages.length;
    try {
      await vscode.commands.executeCommand('lstmLens.resume');
    } finally {
      api.controller.off('progress', onProgress);
    }
    assert.ok(started, 'a run started');
    assert.equal(started.resumed, true);
    assert.equal(started.step, before.steps, 'it picks up at the stored step');
    assert.equal(started.charsSeen, before.charsSeen);
    assert.ok(progress.length > 0);
    for (const p of progress) {
      assert.ok(p.step >= before.steps && p.charsSeen >= before.charsSeen, `counted on from step ${before.steps}, ${before.charsSeen} characters: ${JSON.stringify(p)}`);
      assert.ok(p.charsPerSecond >= 0, `speed ${p.charsPerSecond}`);
    }
    assert.deepEqual(bars.filter((t) => /-\d/.test(t)), [], 'no negative figure in the status bar');
    // the chart: the stopped run's curve goes on, left to right, with no line drawn back to zero
    const curve = api.history.train;
    assert.ok(stoppedCurve.length > 0 && curve.length > stoppedCurve.length, `${stoppedCurve.length} points, then ${curve.length}`);
    assert.deepEqual(curve.slice(0, stoppedCurve.filter(([x]) => x <= before.charsSeen).length), stoppedCurve.filter(([x]) => x <= before.charsSeen), 'the curve of the stopped run is kept');
    for (let i = 1; i < curve.length; i++) assert.ok(curve[i][0] > curve[i - 1][0], `x goes on at point ${i}: ${curve[i - 1][0]} -> ${curve[i][0]}`);
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
