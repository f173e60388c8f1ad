// A corrupted stored model is reported, moved aside (never deleted), and training can start over.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ensureTrainedModel, getApi, messagesSince } from '../helpers';

describe('a corrupted stored model', () => {
  before(async () => ensureTrainedModel(await getApi()));

  it('is reported and moved aside when it is read', async () => {
    const api = await getApi();
    const file = api.store.modelPath!;
    assert.ok(fs.existsSync(file), 'a trained model is stored');
    const good = fs.readFileSync(file);
    const bad = Buffer.from(good);
    bad.fill(0x7b, 0, 16);   // break the safetensors header length
    fs.writeFileSync(file, bad);
    const from = api.messages.length;
    const model = await api.commands.loadStoredModel();   // what activation does at startup
    assert.equal(model, undefined);
    const msgs = messagesSince(api, from).join('\n');
    assert.match(msgs, /could not be read/);
    assert.match(msgs, /moved aside to model\.safetensors\.corrupt-/);
    assert.equal(fs.existsSync(file), false, 'the bad file is no longer where the model is read from');
    const aside = fs.readdirSync(path.dirname(file)).filter((f) => f.startsWith('model.safetensors.corrupt-'));
    assert.ok(aside.length >= 1, 'the bad file is kept beside it');
    assert.deepEqual(fs.readFileSync(path.join(path.dirname(file), aside[aside.length - 1])), bad, 'byte for byte');
    assert.match(api.statusBarItem.text, /LSTM: failed/);
  });

  it('is caught before training uses it, and a new run starts over', async () => {
    const api = await getApi();
    const file = api.store.modelPath!;
    fs.writeFileSync(file, 'not a model at all');
    const from = api.messages.length;
    await vscode.commands.executeCommand('lstmLens.train');
    assert.match(messagesSince(api, from).join('\n'), /could not be read/);
    assert.equal(api.controller.running, false, 'no run was started on a corrupt model');
    assert.equal(fs.existsSync(file), false);
    // "Start Over": with the bad file out of the way, training starts from scratch
    await vscode.commands.executeCommand('lstmLens.train');
    assert.equal((await api.commands.whenIdle())?.kind, 'done');
    assert.ok(api.store.exists());
  });
});
