// An untrusted workspace (Restricted Mode; package.json: untrustedWorkspaces "limited"). Run by
// test/vscode/run.js in a window of its own, with workspace trust on and the folder not trusted:
// Train, Resume and Import refuse with one clear message and write nothing; a model that is
// already stored still generates a sample.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { saveCheckpoint } from '../../../src/model-files/checkpoint-file';
import { handBuiltCheckpoint } from '../../fixtures/cells/hand-model';
import { getApi, messagesSince } from '../helpers';

/** Every file under dir (relative path -> contents, base64); empty when dir does not exist. */
function snapshot(dir: string, out: Record<string, string> = {}, root = dir): Record<string, string> {
  if (!fs.existsSync(dir)) return out;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const abs = path.join(dir, e.name);
    if (e.isDirectory()) snapshot(abs, out, root);
    else out[path.relative(root, abs)] = fs.readFileSync(abs).toString('base64');
  }
  return out;
}

/** Runs a command; asserts it showed exactly one message, a warning matching `refusal`, and
 *  changed nothing in the extension's storage. */
async function assertRefused(command: string, refusal: RegExp, ...args: unknown[]): Promise<unknown> {
  const api = await getApi();
  const before = snapshot(api.store.dir!);
  const from = api.messages.length;
  const result = await vscode.commands.executeCommand(command, ...args);
  const msgs = messagesSince(api, from);
  assert.equal(msgs.length, 1, msgs.join('\n'));
  assert.match(msgs[0], refusal);
  assert.equal(api.controller.running, false, 'no training run started');
  assert.deepEqual(snapshot(api.store.dir!), before, `${command} wrote nothing`);
  return result;
}

const REFUSES_TRAINING = /^warning: LSTM Lens does not train in a workspace you have not trusted: .+ Trust the workspace to train\.$/;
const REFUSES_IMPORT = /^warning: LSTM Lens does not import a model in a workspace you have not trusted: .+ Trust the workspace to import a model\.$/;

describe('an untrusted workspace', () => {
  let importable: string;
  before(() => {
    importable = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'to-import.safetensors');
    saveCheckpoint(importable, handBuiltCheckpoint({ layers: 1 }));
  });
  after(() => fs.rmSync(importable, { force: true }));

  it('is not trusted in this window', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    assert.ok(await getApi(), 'the extension is active (limited support)');
  });

  it('Train on Workspace refuses with one message and writes nothing', async () => {
    const api = await getApi();
    await assertRefused('lstmLens.train', REFUSES_TRAINING);
    assert.equal(api.store.exists(), false);
    assert.equal(await api.commands.whenIdle(), undefined, 'no run ended either');
  });

  it('Import Model refuses with one message and writes nothing', async () => {
    const api = await getApi();
    assert.equal(await assertRefused('lstmLens.importModel', REFUSES_IMPORT, vscode.Uri.file(importable), { confirm: false }), false);
    assert.equal(api.store.exists(), false);
  });

  it('a stored model still generates a sample; Train, Resume and Import still refuse', async () => {
    const api = await getApi();
    // a model trained while the workspace was trusted
    api.store.ensureDir();
    saveCheckpoint(api.store.modelPath!, handBuiltCheckpoint());
    assert.ok(await api.commands.loadStoredModel(), 'the stored model is read');

    const text = await vscode.commands.executeCommand<string>('lstmLens.generateSample', { length: 200 });
    assert.ok(typeof text === 'string' && text.length > 0, `got ${JSON.stringify(text)}`);
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');

    await assertRefused('lstmLens.train', REFUSES_TRAINING);
    await assertRefused('lstmLens.resume', REFUSES_TRAINING);
    assert.equal(await assertRefused('lstmLens.importModel', REFUSES_IMPORT, vscode.Uri.file(importable), { confirm: false }), false);
  });
});
