// Training runs at their edges: Reset and Import pressed while training; Stop at the instant the
// budget ends and Stop during a save; Train right after Stop; settings changed during a run and
// on Resume; Resume after the training worker was killed; files.exclude. Each test starts from a
// state it makes itself, so the suite runs alone.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadCheckpoint, saveCheckpoint } from '../../../src/model-files/checkpoint-file';
import type { CorpusMessage, ProgressMessage, StartedMessage } from '../../../src/extension/training/controller';
import { handBuiltCheckpoint } from '../../fixtures/cells/hand-model';
import { clean, getApi, keepWorkspaceSettings, messagesSince, waitFor } from '../helpers';
import { watchWorkers } from '../workers';

const config = () => vscode.workspace.getConfiguration('lstmLens');
const WS = vscode.ConfigurationTarget.Workspace;

/** Messages that end a run: exactly one per run. */
const ENDINGS = /finished training|stopped training and saved|stopped training at step \d+; the model kept|training failed|training worker|stopped training:/;

/** Starts Train on Workspace and waits until probe holds; the run itself is { run } (an async
 *  function returning the thenable itself would wait for the whole run). */
async function runUntil(api: Awaited<ReturnType<typeof getApi>>, what: string, probe: () => boolean, timeoutMs = 30_000): Promise<{ run: Thenable<unknown> }> {
  const run = vscode.commands.executeCommand('lstmLens.train');
  await waitFor(what, probe, timeoutMs);
  return { run };
}

/** The temp files an interrupted atomic write leaves (none may stay after a run). */
function tempFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((f) => /\.tmp$/.test(f));
}

describe('training runs at their edges', () => {
  let restore: (() => Promise<void>)[] = [];
  before(() => { restore = [keepWorkspaceSettings('lstmLens', ['hiddenSize', 'timeBudgetMinutes', 'saveIntervalSeconds']), keepWorkspaceSettings('files', ['exclude'])]; });
  afterEach(async () => { for (const r of restore) await r(); });
  after(async () => {
    await clean(await getApi());
  });

  it('Reset and Import pressed while training refuse with one message each and leave the run and its files alone', async () => {
    const api = await getApi();
    await clean(api);
    const importable = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'while-training.safetensors');
    saveCheckpoint(importable, handBuiltCheckpoint({ layers: 1 }));
    try {
      const { run } = await runUntil(api, 'the first save of the run', () => api.controller.current?.lastSave !== undefined);
      const from = api.messages.length;
      assert.equal(await vscode.commands.executeCommand('lstmLens.reset', { confirm: false }), false);
      assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(importable), { confirm: false }), false);
      const msgs = messagesSince(api, from);
      assert.deepEqual(msgs, [
        'warning: Stop training before resetting the model (LSTM Lens: Stop Training).',
        'warning: Stop training before importing a model (LSTM Lens: Stop Training).',
      ]);
      assert.ok(api.controller.running, 'the run goes on');
      assert.ok(api.store.exists(), 'the run\'s saved model is still there');
      await vscode.commands.executeCommand('lstmLens.stop');
      await run;
      const o = await api.commands.whenIdle();
      assert.ok(o?.kind === 'done', JSON.stringify(o));
      const ck = loadCheckpoint(api.store.modelPath!);
      assert.equal(ck.training.steps, o.step, 'the stored model is the run\'s, not the imported one');
      assert.equal(ck.config.hidden, 32);
    } finally {
      fs.rmSync(importable, { force: true });
    }
  });

  it('Stop at the instant the budget ends: one ending, one message, the model saved', async () => {
    const api = await getApi();
    await clean(api);
    await config().update('timeBudgetMinutes', 0.05, WS);   // 3 s, the least the setting allows
    try {
      const from = api.messages.length;
      // each progress report says how much of the budget is left: Stop is asked when it runs out
      // (a timer set again at every report, so the last one before the end sets it)
      let stopAsked: Thenable<unknown> | undefined;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onProgress = (p: ProgressMessage) => {
        if (stopAsked || p.etaMs === undefined) return;
        clearTimeout(timer);
        timer = setTimeout(() => { stopAsked ??= vscode.commands.executeCommand('lstmLens.stop'); }, Math.max(0, p.etaMs - 10));
      };
      api.controller.on('progress', onProgress);
      try {
        await vscode.commands.executeCommand('lstmLens.train');
        await waitFor('the stop to be asked', () => stopAsked !== undefined);
        await stopAsked;
      } finally {
        api.controller.off('progress', onProgress);
        clearTimeout(timer);
      }
      await api.commands.whenIdle();
      const o = await api.commands.whenIdle();
      assert.ok(o?.kind === 'done' && (o.reason === 'budget' || o.reason === 'stopped'), JSON.stringify(o));
      const msgs = messagesSince(api, from).filter((m) => !/is training on \d+ files/.test(m));
      assert.equal(msgs.filter((m) => ENDINGS.test(m)).length, 1, msgs.join('\n'));
      // (the fixture workspace is too small for any model, on purpose: that warning is expected)
      assert.deepEqual(msgs.filter((m) => /^(error|warning)/.test(m) && !/little text to learn from/.test(m)), [], msgs.join('\n'));
      assert.equal(api.controller.running, false);
      assert.equal(loadCheckpoint(api.store.modelPath!).training.steps, o.step);
      assert.match(api.statusBarItem.text, /LSTM: (ready|stopped)/);
      assert.ok(api.controller.remainingMs <= 1000, `at most a moment of the budget was left: ${api.controller.remainingMs} ms`);
      assert.deepEqual(tempFiles(api.store.dir!), []);
    } finally {
      await restore[0]();
    }
  });

  it('Stop during a save: the model and its optimizer state on disk are whole and agree, and Resume takes them', async () => {
    const api = await getApi();
    await clean(api);
    await config().update('saveIntervalSeconds', 0.1, WS);   // the least the setting takes: a save every few steps
    const { run } = await runUntil(api, 'a few saves', () => (api.controller.current?.lastSave?.step ?? 0) >= 5);
    await vscode.commands.executeCommand('lstmLens.stop');
    await run;
    const o = await api.commands.whenIdle();
    assert.ok(o?.kind === 'done' && o.reason === 'stopped', JSON.stringify(o));
    const dir = api.store.dir!;
    assert.deepEqual(tempFiles(dir), [], 'no write was left half done');
    const ck = loadCheckpoint(api.store.modelPath!);
    assert.equal(ck.training.steps, o.step);
    await restore[0]();   // the usual save interval again
    const from = api.messages.length;
    let started: StartedMessage | undefined;
    api.controller.once('started', (m: StartedMessage) => { started = m; });
    const resumed = vscode.commands.executeCommand('lstmLens.resume');
    await waitFor('the resumed run to start', () => started, 30_000);
    await vscode.commands.executeCommand('lstmLens.stop');
    await resumed;
    assert.equal(started!.resumed, true);
    assert.equal(started!.step, o.step);
    assert.deepEqual(messagesSince(api, from).filter((m) => /optimizer state/.test(m)), [], 'the optimizer state beside the model was taken');
  });

  it('Train right after Stop starts a new run on the stopped model', async () => {
    const api = await getApi();
    await clean(api);
    const { run: first } = await runUntil(api, 'a few steps', () => (api.controller.current?.progress?.step ?? 0) >= 3);
    await vscode.commands.executeCommand('lstmLens.stop');
    const stopped = await api.commands.whenIdle();
    assert.ok(stopped?.kind === 'done' && stopped.reason === 'stopped');
    const from = api.messages.length;
    let started: StartedMessage | undefined;
    api.controller.once('started', (m: StartedMessage) => { started = m; });
    const second = vscode.commands.executeCommand('lstmLens.train', { existingModel: 'continue' });   // at once
    await waitFor('the second run to start', () => started, 30_000);
    assert.deepEqual(messagesSince(api, from).filter((m) => /already training/.test(m)), []);
    assert.equal(started!.resumed, true, 'it goes on from the stored model');
    assert.equal(started!.step, stopped.step);
    await vscode.commands.executeCommand('lstmLens.stop');
    await Promise.all([first, second]);
    const o = await api.commands.whenIdle();
    assert.ok(o?.kind === 'done' && o.step >= stopped.step, JSON.stringify(o));
    assert.equal(loadCheckpoint(api.store.modelPath!).training.steps, o.step);
  });

  it('settings changed during a run leave the run alone; Resume says which the stored model keeps and uses the budget left', async () => {
    const api = await getApi();
    await clean(api);
    await config().update('timeBudgetMinutes', 0.3, WS);   // 18 s
    let started: StartedMessage | undefined;
    api.controller.once('started', (m: StartedMessage) => { started = m; });
    const { run } = await runUntil(api, 'a few steps', () => (api.controller.current?.progress?.step ?? 0) >= 3);
    assert.equal(api.controller.current!.budgetMs, 18_000);
    await config().update('hiddenSize', 16, WS);
    await config().update('timeBudgetMinutes', 0.05, WS);
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(api.controller.running);
    assert.equal(api.controller.current!.budgetMs, 18_000, 'the run keeps its budget');
    await vscode.commands.executeCommand('lstmLens.stop');
    await run;
    assert.equal(started!.config.hidden, 32);
    assert.equal(loadCheckpoint(api.store.modelPath!).config.hidden, 32, 'the run kept its model');
    const left = api.controller.remainingMs;
    assert.ok(left > 5_000, `budget left: ${left} ms`);

    const from = api.messages.length;
    let resumed: StartedMessage | undefined;
    api.controller.once('started', (m: StartedMessage) => { resumed = m; });
    const again = vscode.commands.executeCommand('lstmLens.resume');
    await waitFor('the resumed run', () => resumed && api.controller.current, 30_000);
    assert.equal(api.controller.current!.budgetMs, left, 'Resume runs for the time the stopped run had left, not the new setting');
    await vscode.commands.executeCommand('lstmLens.stop');
    await again;
    assert.equal(resumed!.config.hidden, 32);
    const said = messagesSince(api, from).filter((m) => /keeps its own settings/.test(m));
    assert.deepEqual(said, ['info: The stored model keeps its own settings: hidden size 32 (settings: 16). Reset Model to train with the new settings.']);

    // after a reset the new settings make the new model
    await vscode.commands.executeCommand('lstmLens.reset', { confirm: false });
    let fresh: StartedMessage | undefined;
    api.controller.once('started', (m: StartedMessage) => { fresh = m; });
    await vscode.commands.executeCommand('lstmLens.train');
    assert.equal(fresh!.config.hidden, 16);
    assert.equal((await api.commands.whenIdle())?.kind, 'done');
    assert.equal(loadCheckpoint(api.store.modelPath!).config.hidden, 16);
  });

  it('Resume after the training worker was killed goes on from the last periodic save', async () => {
    const api = await getApi();
    await clean(api);
    const watch = watchWorkers();
    let run: Thenable<unknown>;
    try {
      ({ run } = await runUntil(api, 'a periodic save', () => (api.controller.current?.lastSave?.step ?? 0) > 0));
    } finally {
      watch.restore();
    }
    const trainer = watch.workers.find((w) => /training-worker\.js$/.test(w.file) && !w.exited);
    assert.ok(trainer, `the training worker was seen: ${watch.workers.map((w) => w.file).join(', ')}`);
    const saved = api.controller.current!.lastSave!.step;
    const from = api.messages.length;
    await trainer.worker.terminate();   // killed: no stop message, no final save
    await run!;
    const o = await api.commands.whenIdle();
    assert.ok(o?.kind === 'crashed', JSON.stringify(o));
    assert.match(messagesSince(api, from).join('\n'), /training worker stopped unexpectedly .* The last saved model \(step \d+\) is kept\./);
    const onDisk = loadCheckpoint(api.store.modelPath!).training.steps;
    assert.ok(onDisk >= saved, `the last periodic save is whole on disk (${onDisk} >= ${saved})`);
    assert.match(api.statusBarItem.text, /LSTM: failed/);

    let started: StartedMessage | undefined;
    api.controller.once('started', (m: StartedMessage) => { started = m; });
    const resumed = vscode.commands.executeCommand('lstmLens.resume');
    await waitFor('the resumed run', () => (api.controller.current?.progress?.step ?? 0) > onDisk, 30_000);
    await vscode.commands.executeCommand('lstmLens.stop');
    await resumed;
    assert.equal(started!.resumed, true);
    assert.equal(started!.step, onDisk);
    const after = await api.commands.whenIdle();
    // it trained on from the save (validation may keep an earlier model than its last step)
    assert.ok(after?.kind === 'done' && (after.lastStep ?? after.step) > onDisk, JSON.stringify(after));
  });

  it('files.exclude leaves files out of the corpus', async () => {
    const api = await getApi();
    await clean(api);
    const corpusOf = async () => {
      let corpus: CorpusMessage | undefined;
      api.controller.once('corpus', (m: CorpusMessage) => { corpus = m; });
      const run = vscode.commands.executeCommand('lstmLens.train');
      await waitFor('the corpus report', () => corpus, 30_000);
      await vscode.commands.executeCommand('lstmLens.stop');
      await run;
      return corpus!;
    };
    const all = await corpusOf();
    await clean(api);
    await vscode.workspace.getConfiguration('files').update('exclude', { '**/scripts': true, 'src/queue.ts': true }, WS);
    try {
      const fewer = await corpusOf();
      assert.equal(fewer.files, all.files - 2, `${all.files} files, ${fewer.files} with scripts/ and src/queue.ts excluded`);
      assert.match(fewer.skippedSummary, /ignored/);
    } finally {
      await restore[1]();
    }
  });
});
