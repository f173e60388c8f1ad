// The Training panel's page reports ready and is given the model and the run to draw, without CSP
// violations; Export and Import round-trip the model; Reset
// deletes every file of the model; Import replaces the old model's optimizer state and n-gram
// counts only once the new checkpoint is in, and a file that is not a model changes nothing.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadCheckpoint } from '../../../src/model-files/checkpoint-file';
import type { ToPanel } from '../../../src/extension/training/panel-messages';
import { ensureTrainedModel, getApi, keepWorkspaceSettings, messagesSince, waitFor } from '../helpers';
import { spyOnWebviewPanel } from '../webview-spy';

/** The files in a folder and their bytes. */
function snapshot(dir: string): Record<string, string> {
  return Object.fromEntries(fs.readdirSync(dir).sort().map((f) => [f, fs.readFileSync(path.join(dir, f)).toString('base64')]));
}

describe('Training panel, Export and Import', () => {
  /** The trained model's n-gram counts and optimizer state, kept from before the reset. */
  let oldSidecars: Record<string, Buffer> = {};

  before(async () => ensureTrainedModel(await getApi()));

  it('opens the Training panel: its page says it is ready, and is given the stored model and then the run to draw', async () => {
    const api = await getApi();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the panel closed', () => !api.panel.visible, 5_000);
    const { panel: created, fromPage, toPage } = await spyOnWebviewPanel<ToPanel>('lstmLens.training', () => vscode.commands.executeCommand('lstmLens.showTraining'));
    assert.equal(api.panel.visible, true);
    assert.equal(created.title, 'LSTM Lens: Training');
    // the page's own script ran to its end (it listens for messages and draws from now on)
    await waitFor('the webview\'s ready message', () => fromPage.some((m) => m.type === 'ready'), 30_000);
    const init = await waitFor('the history sent in answer to ready', () => toPage.find((x) => x.m.type === 'init' && x.afterReady), 10_000);
    assert.equal(await init.delivered, true, 'and delivered to the page');
    const ck = loadCheckpoint(api.store.modelPath!);
    const snap = (init.m as Extract<ToPanel, { type: 'init' }>).snapshot;
    assert.equal(snap.status.state, 'ready');
    assert.ok(snap.status.lines.includes('Model: 1×32 LSTM, vocabulary ' + ck.vocab.length), snap.status.lines.join(' | '));
    assert.ok(snap.status.lines.some((l) => /^Validation: \d+\.\d\d bits\/char$/.test(l)), snap.status.lines.join(' | '));
    // the validation curve of the stored model (its bits/char; a curve watched live places each
    // point at the characters seen when the score arrived, a little after it was measured)
    assert.deepEqual(snap.val.map(([, bits]) => bits), ck.training.valBpcHistory.map(([, bits]) => bits), 'the validation curve of the stored model');
    assert.deepEqual(snap.val, api.history.val);

    // a run: the page is sent its progress (points, the state, samples), each delivered
    const sent = toPage.length;
    const restore = keepWorkspaceSettings('lstmLens', ['timeBudgetMinutes']);
    await vscode.workspace.getConfiguration('lstmLens').update('timeBudgetMinutes', 0.05, vscode.ConfigurationTarget.Workspace);
    try {
      await vscode.commands.executeCommand('lstmLens.train', { existingModel: 'continue' });
    } finally {
      await restore();
    }
    const during = toPage.slice(sent);
    assert.deepEqual(new Set(await Promise.all(during.map((x) => x.delivered))), new Set([true]), 'every message reached the page');
    const states = during.filter((x) => x.m.type === 'status').map((x) => (x.m as Extract<ToPanel, { type: 'status' }>).status.state);
    assert.ok(states.includes('training'), states.join(','));
    assert.equal(states[states.length - 1], 'ready', 'the page is told the run ended');
    const points = during.filter((x) => x.m.type === 'points').flatMap((x) => (x.m as Extract<ToPanel, { type: 'points' }>).train);
    assert.ok(points.length >= 2 && points.every(([chars, bits]) => chars > 0 && bits > 0 && bits < 10), JSON.stringify(points.slice(0, 3)));
    assert.ok(during.some((x) => x.m.type === 'sample' && (x.m as Extract<ToPanel, { type: 'sample' }>).sample.text.length > 0), 'a sample was sent');
    assert.deepEqual(fromPage.filter((m) => m.type === 'csp-violation'), []);
  });

  it('exports the model and imports it back after a reset', async () => {
    const api = await getApi();
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const target = path.join(ws, 'exported.safetensors');
    const steps = loadCheckpoint(api.store.modelPath!).training.steps;
    await vscode.commands.executeCommand('lstmLens.exportModel', vscode.Uri.file(target));
    assert.equal(loadCheckpoint(target).training.steps, steps, 'the export is a valid checkpoint');

    // Reset deletes every file of the model, and nothing else in the extension's storage folder
    const dir = api.store.dir!;
    fs.writeFileSync(path.join(dir, 'unrelated.txt'), 'not the model');
    fs.writeFileSync(path.join(dir, '.model.ngram.bin.4242.0badcafe.tmp'), 'left by a write that never finished');
    const before = fs.readdirSync(dir);
    assert.ok(before.includes('model.safetensors') && before.includes('model.ngram.bin'), `model and n-gram counts in ${before.join(', ')}`);
    oldSidecars = Object.fromEntries(['model.ngram.bin', 'model.state.safetensors'].filter((f) => before.includes(f))
      .map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    await api.completions.refresh();
    await waitFor('the completion worker to hold the model and its n-gram counts', () => api.completions.model?.hasNGram, 30_000);

    assert.equal(await vscode.commands.executeCommand('lstmLens.reset', { confirm: false }), true);
    assert.equal(api.store.exists(), false);
    assert.match(api.statusBarItem.text, /LSTM: no model/);
    const modelsFile = (f: string) => /^(model\.safetensors|model\.state\.safetensors|model\.ngram\.bin)$/.test(f) ||
      /^\.model\.(safetensors|state\.safetensors|ngram\.bin)\.\d+\.[0-9a-f]{8}\.tmp$/.test(f);
    assert.deepEqual(fs.readdirSync(dir).sort(), before.filter((f) => !modelsFile(f)).sort());
    assert.ok(fs.readdirSync(dir).includes('unrelated.txt'));
    // completions drop the model at once (no completion request, no file stat needed)
    await waitFor('the completion worker to drop the model', () => api.completions.model === undefined, 3_000);
    fs.rmSync(path.join(dir, 'unrelated.txt'));

    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(target)), true);
    assert.equal(loadCheckpoint(api.store.modelPath!).training.steps, steps);
    await waitFor('the status bar to show the imported model', () => /LSTM: ready/.test(api.statusBarItem.text));
  });

  it('refuses to import a file that is not a model, keeping the stored one and all its files', async () => {
    const api = await getApi();
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const dir = api.store.dir!;
    // the imported model is the exported one: the trained model's n-gram counts fit its vocabulary
    assert.ok(oldSidecars['model.ngram.bin'], 'the n-gram counts were kept from before the reset');
    for (const [f, bytes] of Object.entries(oldSidecars)) fs.writeFileSync(path.join(dir, f), bytes);
    await api.completions.refresh();
    await waitFor('the completion worker to use the n-gram counts beside the model', () => api.completions.model?.hasNGram, 30_000);

    const junk = path.join(ws, 'junk.safetensors');
    fs.writeFileSync(junk, 'garbage');
    const before = snapshot(dir);
    const from = api.messages.length;
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(junk)), false);
    assert.match(messagesSince(api, from).join('\n'), /Cannot import junk\.safetensors/);
    assert.deepEqual(snapshot(dir), before, 'the model, its optimizer state and n-gram counts, byte for byte');
    fs.rmSync(junk);
  });

  it('imports over a model: the old model\'s n-gram counts and optimizer state go with it', async () => {
    const api = await getApi();
    const ws = vscode.workspace.workspaceFolders![0].uri.fsPath;
    const dir = api.store.dir!;
    const others = Object.keys(snapshot(dir)).filter((f) => !/^model\.(safetensors|state\.safetensors|ngram\.bin)$/.test(f));
    assert.ok(fs.existsSync(path.join(dir, 'model.ngram.bin')));
    const exported = path.join(ws, 'exported.safetensors');
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(exported), { confirm: false }), true);
    assert.deepEqual(fs.readFileSync(api.store.modelPath!), fs.readFileSync(exported));
    assert.deepEqual(fs.readdirSync(dir).sort(), ['model.safetensors', ...others].sort());
    // completions reload at once, without the counts of the corpus the imported model did not come with
    await waitFor('the completion worker to hold the imported model alone',
      () => api.completions.model && !api.completions.model.hasNGram, 10_000);
    await waitFor('the status bar to show the imported model', () => /LSTM: ready/.test(api.statusBarItem.text));
  });
});
