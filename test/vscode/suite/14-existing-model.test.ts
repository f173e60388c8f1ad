// Nothing the user had is lost, nothing hangs, in the editor (issue 12): Train on Workspace over an
// imported model continues it or trains a new one only as asked, the old one kept; a corpus too
// small for the model and held-out files that changed since the model's figures are said; the
// run's files (trained on, held out, skipped and why) reach the Training panel, odd names and a
// FIFO in the workspace included; Import says what becomes of the files beside a model and
// refuses one of them picked instead of the model; a save on a full disk loses nothing.
import { strict as assert } from 'node:assert';
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { loadCheckpoint, saveCheckpoint } from '../../../src/model-files/checkpoint-file';
import type { CorpusMessage, StartedMessage } from '../../../src/extension/training/controller';
import type { ToPanel } from '../../../src/extension/training/panel-messages';
import { smallCorpusWarning } from '../../../src/extension/training/corpus-warnings';
import { handBuiltCheckpoint } from '../../fixtures/cells/hand-model';
import { clean, ensureTrainedModel, getApi, keepWorkspaceSettings, messagesSince, waitFor } from '../helpers';
import { spyOnWebviewPanel } from '../webview-spy';

type Api = Awaited<ReturnType<typeof getApi>>;
const ws = () => vscode.workspace.workspaceFolders![0].uri.fsPath;
const HELD_OUT = /held-out files differ|held-out files it did not record/;
const SMALL = /little text to learn from: [\d,]+ characters of training text for a 1×\d+ LSTM of [\d,]+ parameters/;

/** Runs Train on Workspace (or Resume) to its end; returns what the run started with, its corpus and the messages said. */
async function runToEnd(api: Api, command: string, args?: object): Promise<{ started?: StartedMessage; corpus?: CorpusMessage; said: string[] }> {
  let started: StartedMessage | undefined, corpus: CorpusMessage | undefined;
  const onStarted = (m: StartedMessage) => { started = m; };
  const onCorpus = (m: CorpusMessage) => { corpus = m; };
  api.controller.once('started', onStarted);
  api.controller.once('corpus', onCorpus);
  const from = api.messages.length;
  try {
    await vscode.commands.executeCommand(command, args);
    await api.commands.whenIdle();
  } finally {
    api.controller.off('started', onStarted);
    api.controller.off('corpus', onCorpus);
  }
  lastCorpus = corpus;
  return { started, corpus, said: messagesSince(api, from) };
}

/** The too-small-corpus warning was said exactly when the rule holds for the run's corpus and model
 *  (the workspace holds what earlier suites left in it, so its size is not known beforehand). */
function assertSmallCorpusSaid(said: string[], started?: StartedMessage, corpus?: CorpusMessage): void {
  const c = corpus ?? lastCorpus;
  assert.ok(started && c, 'the run started and read its corpus');
  const expected = smallCorpusWarning(c.trainChars, started.params, started.config, started.resumed);
  assert.deepEqual(said.filter((m) => SMALL.test(m)), expected ? [`warning: ${expected}`] : [], `${c.trainChars} characters, ${started.params} parameters`);
}
let lastCorpus: CorpusMessage | undefined;

/** A model trained elsewhere, as a file in the workspace, with an earlier validation history. */
function importable(name: string): vscode.Uri {
  const ck = handBuiltCheckpoint({ layers: 1, hidden: 16 });
  ck.training = { ...ck.training, steps: 500, charsSeen: 1_000_000, valBpcHistory: [[500_000, 2.1], [1_000_000, 1.53]] };
  const file = path.join(ws(), name);
  saveCheckpoint(file, ck);
  return vscode.Uri.file(file);
}

describe('issue 12 in the editor: nothing the user had is lost', () => {
  const written: string[] = [];
  after(async () => {
    for (const f of written) fs.rmSync(f, { recursive: true, force: true });
    await clean(await getApi());
  });

  it('Train on Workspace over an imported model, "new": a new model, the imported one kept whole beside it', async () => {
    const api = await getApi();
    await ensureTrainedModel(api);
    const uri = importable('from-elsewhere.safetensors');
    written.push(uri.fsPath);
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', uri, { confirm: false }), true);
    assert.equal(api.commands.importedFrom, 'from-elsewhere.safetensors', 'the import is remembered');
    const importedBytes = fs.readFileSync(api.store.modelPath!);

    const { started, said } = await runToEnd(api, 'lstmLens.train', { existingModel: 'new' });
    const kept = said.map((m) => /kept as (.*previous-[^ ]+\.safetensors); Import Model brings it back/.exec(m)?.[1]).find(Boolean);
    assert.ok(kept, said.join('\n'));
    assert.match(said.join('\n'), /Training a new model\. The imported model \(from-elsewhere\.safetensors\) is kept as /);
    assert.deepEqual(fs.readFileSync(kept), importedBytes, 'the imported model, byte for byte');
    assert.equal(path.dirname(kept), api.store.dir);
    assert.ok(started && !started.resumed && started.config.hidden === 32, `a new model of the settings: ${JSON.stringify(started?.config)}`);
    assert.equal(loadCheckpoint(api.store.modelPath!).config.hidden, 32);
    assert.equal(api.commands.importedFrom, undefined, 'the stored model is no longer the imported one');
    // the kept one is a model Import Model takes back
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(kept), { confirm: false }), true);
    assert.equal(loadCheckpoint(api.store.modelPath!).config.hidden, 16);
    fs.rmSync(kept);
  });

  it('without a choice given, the question is asked, with its consequences; the model stays as it was', async () => {
    const api = await getApi();
    const uri = importable('asked.safetensors');
    written.push(uri.fsPath);
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', uri, { confirm: false }), true);
    const stored = fs.readFileSync(api.store.modelPath!);
    // the test host refuses to show a modal dialog and says what it was asked to show
    const asked = await Promise.resolve(vscode.commands.executeCommand('lstmLens.train')).then(() => '', (e: Error) => e.message);
    assert.match(asked, /This workspace's model was imported from asked\.safetensors \(1×16 LSTM, 1\.0M characters trained\)\. Continue training it on this workspace, or train a new model\?/);
    assert.equal(api.controller.running, false, 'no run started');
    assert.deepEqual(fs.readFileSync(api.store.modelPath!), stored, 'the imported model is as it was');
  });

  it('"continue": the imported model trains on, keeps its size, and the run says its figures and the corpus are not what they were', async () => {
    const api = await getApi();
    const uri = importable('from-elsewhere-2.safetensors');
    written.push(uri.fsPath);
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', uri, { confirm: false }), true);
    const before = fs.readdirSync(api.store.dir!).filter((f) => f.startsWith('previous-'));
    const { started, said } = await runToEnd(api, 'lstmLens.train', { existingModel: 'continue' });
    assert.ok(started?.resumed && started.config.hidden === 16 && started.step === 500, JSON.stringify(started));
    const text = said.join('\n');
    assert.match(text, /warning: The model's earlier validation figures were measured on held-out files it did not record .*not comparable/);
    assertSmallCorpusSaid(said, started);
    assert.match(text, /keeps its own settings/);
    assert.deepEqual(fs.readdirSync(api.store.dir!).filter((f) => f.startsWith('previous-')), before, 'nothing was set aside');
    assert.equal(loadCheckpoint(api.store.modelPath!).config.hidden, 16, 'still the imported model');
  });

  it('a workspace too small for the model is said, with its numbers, before it trains', async () => {
    const api = await getApi();
    await clean(api);
    const restore = keepWorkspaceSettings('lstmLens', ['include']);
    await vscode.workspace.getConfiguration('lstmLens').update('include', ['python'], vscode.ConfigurationTarget.Workspace);
    try {
      const { started, corpus, said } = await runToEnd(api, 'lstmLens.train');
      assert.ok(corpus && corpus.trainChars < 30_000, `${corpus?.trainChars} characters`);
      assert.ok(said.some((m) => new RegExp(`^warning: The workspace gives little text to learn from: ${corpus.trainChars.toLocaleString('en-US')} characters of training text for a 1×32 LSTM of ${started!.params.toLocaleString('en-US')} parameters\\.`).test(m)), said.join('\n'));
      assertSmallCorpusSaid(said, started, corpus);
    } finally {
      await restore();
    }
  });

  it('Resume on the same files says nothing of held-out files; after the held-out file changed, it says the figures are not comparable', async () => {
    const api = await getApi();
    await clean(api);
    const first = await runToEnd(api, 'lstmLens.train');
    const valFile = first.corpus?.lists?.val[0]?.path;
    assert.ok(valFile, JSON.stringify(first.corpus?.lists));
    assertSmallCorpusSaid(first.said, first.started, first.corpus);
    const same = await runToEnd(api, 'lstmLens.train', { existingModel: 'continue' });
    assert.ok(same.started?.resumed);
    assert.equal(same.started?.heldOutChanged, undefined, same.said.join('\n'));
    assert.deepEqual(same.said.filter((m) => HELD_OUT.test(m)), []);

    const file = path.join(ws(), valFile);
    const was = fs.readFileSync(file);
    fs.appendFileSync(file, '\n// one more line, so the held-out text is not the one the model was scored on\n');
    try {
      const changed = await runToEnd(api, 'lstmLens.resume');
      assert.ok(changed.started?.resumed);
      assert.match(changed.said.join('\n'), /warning: The held-out files differ from the ones the model was scored on before \(1 file, [\d,]+ characters then; 1 file, [\d,]+ now\): validation figures from before this run are not comparable/);
      // the next run is compared with that one: no warning
      const again = await runToEnd(api, 'lstmLens.train', { existingModel: 'continue' });
      assert.deepEqual(again.said.filter((m) => HELD_OUT.test(m)), []);
    } finally {
      fs.writeFileSync(file, was);
    }
  });

  it('the Training panel is sent the files trained on, held out and skipped (why), odd names and a FIFO in the workspace included', async () => {
    const api = await getApi();
    await clean(api);
    const odd = ['<img src=x onerror=alert(1)> & "q".ts', 'naïve 名前 \u202eevil.py', 'emoji 😀.md'];
    for (const name of odd) {
      fs.writeFileSync(path.join(ws(), name), `// ${name}\nexport const x${odd.indexOf(name)} = ${odd.indexOf(name)};\n`);
      written.push(path.join(ws(), name));
    }
    const fifo = path.join(ws(), 'pipe.ts');
    const haveFifo = spawnSync('mkfifo', [fifo]).status === 0;
    if (haveFifo) written.push(fifo);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the panel closed', () => !api.panel.visible, 5_000);
    const spy = await spyOnWebviewPanel<ToPanel>('lstmLens.training', () => vscode.commands.executeCommand('lstmLens.showTraining'));
    await waitFor('the page ready', () => spy.fromPage.some((m) => m.type === 'ready'), 30_000);
    const { corpus } = await runToEnd(api, 'lstmLens.train');   // a FIFO would hang it: it is skipped
    assert.ok(corpus?.lists);
    const sent = spy.toPage.map((x) => x.m).filter((m): m is Extract<ToPanel, { type: 'files' }> => m.type === 'files').pop();
    assert.ok(sent, 'the files were sent to the page');
    const [train, val, skipped] = sent.files;
    const listed = [...train.items, ...val.items].map((i) => i.path);
    for (const name of [...odd, 'src/stack.ts', 'scripts/stats.py']) assert.ok(listed.includes(name), `${name} in ${listed.join(', ')}`);
    assert.match(train.title, /^Trained on \d+ files \(.*TypeScript \d+.*Python \d+/);
    assert.match(val.title, /^Held out for validation: 1 file \(never trained on\)$/);
    assert.equal(listed.length, corpus.files);
    const why = Object.fromEntries(skipped.items.map((i) => [i.path, i.note]));
    assert.equal(why['logo.dat'], 'binary (a NUL byte or not UTF-8)');
    if (haveFifo) assert.equal(why['pipe.ts'], 'a special file (socket, FIFO or device)');
    assert.match(skipped.title, /^Skipped: .*1 binary file/);
    assert.deepEqual(api.history.files, sent.files, 'kept for a panel opened later');
    assert.deepEqual(spy.fromPage.filter((m) => m.type === 'csp-violation'), []);
  });

  it('Import lists the files beside a model and what becomes of each; a sidecar or temp file picked instead is refused in one sentence', async () => {
    const api = await getApi();
    await ensureTrainedModel(api);
    const dir = fs.mkdtempSync(path.join(ws(), 'export-'));
    written.push(dir);
    const model = path.join(dir, 'shared.safetensors');
    fs.copyFileSync(api.store.modelPath!, model);
    const storeFile = (suffix: string) => api.store.modelPath!.replace(/\.safetensors$/, suffix);
    for (const [from, to] of [['.ngram.bin', 'shared.ngram.bin'], ['.state.safetensors', 'shared.state.safetensors']]) {
      if (fs.existsSync(storeFile(from))) fs.copyFileSync(storeFile(from), path.join(dir, to));
    }
    fs.writeFileSync(path.join(dir, '.shared.safetensors.4242.0badcafe.tmp'), 'a save that never finished');
    fs.writeFileSync(path.join(dir, 'unrelated.txt'), 'not the model\'s');

    let from = api.messages.length;
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(model), { confirm: false }), true);
    const said = messagesSince(api, from).find((m) => m.startsWith('info: Imported shared.safetensors alone; beside it,'));
    assert.ok(said, messagesSince(api, from).join('\n'));
    assert.match(said, /\.shared\.safetensors\.4242\.0badcafe\.tmp \(unfinished write\): left alone/);
    assert.match(said, /shared\.ngram\.bin \(n-gram counts\): not imported/);
    if (fs.existsSync(path.join(dir, 'shared.state.safetensors'))) assert.match(said, /shared\.state\.safetensors \(optimizer state\): not imported/);
    assert.doesNotMatch(said, /unrelated/);
    assert.deepEqual(fs.readdirSync(api.store.dir!).filter((f) => f === 'model.ngram.bin' || f === 'model.state.safetensors'), [], 'none of them came along');

    const stored = fs.readFileSync(api.store.modelPath!);
    for (const [picked, sentence] of [
      ['shared.ngram.bin', 'error: Cannot import shared.ngram.bin: shared.ngram.bin is the n-gram counts saved beside shared.safetensors, not a model: import shared.safetensors instead.'],
      ['shared.state.safetensors', 'error: Cannot import shared.state.safetensors: shared.state.safetensors is the optimizer state saved beside shared.safetensors, not a model: import shared.safetensors instead.'],
      ['.shared.safetensors.4242.0badcafe.tmp', 'error: Cannot import .shared.safetensors.4242.0badcafe.tmp: .shared.safetensors.4242.0badcafe.tmp is a save that never finished (of shared.safetensors), not a model: import shared.safetensors instead.'],
    ]) {
      if (!fs.existsSync(path.join(dir, picked))) fs.writeFileSync(path.join(dir, picked), 'x');
      from = api.messages.length;
      assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', vscode.Uri.file(path.join(dir, picked)), { confirm: false }), false);
      assert.deepEqual(messagesSince(api, from), [sentence]);
    }
    assert.deepEqual(fs.readFileSync(api.store.modelPath!), stored, 'the stored model is untouched');
  });

  it('a new model whose first save finds the disk full: one sentence, and the model before is back in place', async function () {
    const api = await getApi();
    await ensureTrainedModel(api);
    const dir = api.store.dir!;
    const files = fs.readdirSync(dir).filter((f) => f.startsWith('model.'));
    const copies = Object.fromEntries(files.map((f) => [f, fs.readFileSync(path.join(dir, f))]));
    const steps = loadCheckpoint(api.store.modelPath!).training.steps;
    // a small file system over the storage folder, holding the model's files and full otherwise
    const size = Object.values(copies).reduce((a, b) => a + b.length, 0);
    if (process.getuid?.() !== 0 || spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${Math.ceil((size + 64 * 1024) / 4096) * 4}k`, 'tmpfs', dir]).status !== 0) this.skip();
    try {
      for (const [f, bytes] of Object.entries(copies)) fs.writeFileSync(path.join(dir, f), bytes);
      const free = Number(execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).trim().split('\n').pop());
      fs.writeFileSync(path.join(dir, 'filler'), Buffer.alloc(Math.max(0, free - 4096)));
      const { said } = await runToEnd(api, 'lstmLens.train', { existingModel: 'new' });
      const errors = said.filter((m) => m.startsWith('error:'));
      assert.deepEqual(errors, [`error: LSTM Lens could not save the model (no space left on the device). The last saved model (step ${steps}) is kept.`], said.join('\n'));
      assert.equal(loadCheckpoint(api.store.modelPath!).training.steps, steps, 'the model before is the stored one again');
      assert.deepEqual(fs.readFileSync(api.store.modelPath!), copies['model.safetensors']);
      assert.deepEqual(fs.readdirSync(dir).filter((f) => f.startsWith('previous-') || f.endsWith('.tmp')), [], 'nothing left aside or half written');
      assert.match(api.statusBarItem.text, /LSTM: failed/);
    } finally {
      if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir]);
    }
  });
});
