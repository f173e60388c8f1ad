// Import Model of a checkpoint another trainer wrote: the PyTorch trainer records
// training.trainedWith {trainer, torch, processes, device} (python/lstm_lens_torch/train.py), and
// the message says where the model was trained; a checkpoint without it keeps the usual message.
// The checkpoints are written here by our encoder, with the trainer's metadata as it writes it.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { encodeCheckpoint, UNK, type Checkpoint } from '../../../src/engine/checkpoint';
import type { ModelConfig } from '../../../src/engine/config';
import { paramLayout } from '../../../src/engine/params';
import { getApi, messagesSince, waitFor } from '../helpers';

const config: ModelConfig = { cell: 'lstm', layers: 1, hidden: 8, vocabSize: 4, dropout: 0 };

function checkpoint(training: Record<string, unknown>): Checkpoint {
  const params = new Float32Array(paramLayout(config).total).map((_, i) => 0.01 * Math.sin(i));
  return { config, vocab: ['a', 'b', '\n', UNK], params, training: { steps: 10, charsSeen: 2.1e9, elapsedMs: 5, valBpcHistory: [], ...training } };
}

describe('Import Model: where the model was trained', () => {
  const written: string[] = [];
  const write = (name: string, ck: Checkpoint) => {
    const file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, name);
    fs.writeFileSync(file, encodeCheckpoint(ck));
    written.push(file);
    return vscode.Uri.file(file);
  };
  after(() => { for (const f of written) fs.rmSync(f, { force: true }); });

  it('says "trained elsewhere" with the PyTorch version, the processes and the device', async () => {
    const api = await getApi();
    const uri = write('torch-trained.safetensors', checkpoint({
      epochs: 1, trainedWith: { trainer: 'lstm_lens_torch 0.1.0', torch: '2.3.1+cu121', processes: 8, device: 'cuda' },
    }));
    const from = api.messages.length;
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', uri, { confirm: false }), true);
    const said = messagesSince(api, from);
    assert.ok(said.includes('info: Imported a 1×8 LSTM model trained elsewhere (PyTorch 2.3, 8 processes on cuda), 2.1B characters.'), said.join('\n'));
    assert.equal(said.filter((m) => m.startsWith('warning:')).length, 0, 'a small model: no warning');
    await waitFor('the status bar to show the imported model', () => /LSTM: ready/.test(api.statusBarItem.text));
  });

  it('a checkpoint without trainedWith keeps the usual message; odd values in it are not shown', async () => {
    const api = await getApi();
    let from = api.messages.length;
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', write('plain.safetensors', checkpoint({})), { confirm: false }), true);
    assert.ok(messagesSince(api, from).includes('info: Imported a 1×8 LSTM model (2.1B characters trained).'), messagesSince(api, from).join('\n'));

    from = api.messages.length;
    const odd = write('odd.safetensors', checkpoint({ trainedWith: { torch: 'x'.repeat(500), processes: { n: 8 }, device: 'cpu' } }));
    assert.equal(await vscode.commands.executeCommand('lstmLens.importModel', odd, { confirm: false }), true);
    assert.ok(messagesSince(api, from).includes('info: Imported a 1×8 LSTM model trained elsewhere (on cpu), 2.1B characters.'), messagesSince(api, from).join('\n'));
  });
});
