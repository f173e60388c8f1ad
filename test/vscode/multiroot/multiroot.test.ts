// A multi-root workspace in a real VS Code (test/vscode/run.js opens a .code-workspace file whose
// folders are copies of test/fixtures/ws and test/fixtures/lua-lib, with a tiny model's settings):
// Train on Workspace trains on the files of both roots, and a completion in a file of the second
// root is primed with the corpus header training wrote for that root's files,
// `==> lua-lib/<path> <==`. The header the completion worker gets is not visible from outside, so
// the editor's completions are compared with what `lstm-lens complete` (dist/cli.js, the same
// engine) gives for the same text under that header, and under the header a single-root
// workspace would give the file (`==> lib/<file> <==`): they must equal the first, and at least
// one of the places asked must tell the two apart.
import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { lineContext } from '../../../src/complete/rules';
import { showVerdict } from '../../../src/complete/show-rules';
import { loadCheckpoint } from '../../../src/model-files/checkpoint-file';
import type { CorpusMessage } from '../../../src/extension/training/controller';
import { EXTENSION_ID, clean, getApi, keepWorkspaceSettings, messagesSince, waitFor } from '../helpers';

const SECOND = 'lua-lib';
/** Characters in the second root's files and in no file of the first (nor in any header). */
const ONLY_SECOND = ['~', '^'];
/** Text before the cursor in new files of the second root, one file each: short, so that the
 *  header is still fresh in the model's state when the completion starts. */
const CONTEXTS = ['local ', 'local function ', 'if x ~= ', 'return ', '-- ', 'for i = 1, ', 'self.', 'end\n', 'print(', 'local t = {'];

const INVOKE: vscode.InlineCompletionContext = { triggerKind: vscode.InlineCompletionTriggerKind.Invoke, selectedCompletionInfo: undefined };

function cli(args: string[], stdin?: string): Promise<string> {
  const main = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'cli.js');
  return new Promise((resolve, reject) => {
    const child = execFile(process.execPath, [main, ...args], { maxBuffer: 16 << 20, timeout: 60_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`lstm-lens ${args[0]} failed: ${err.message}\n${stderr}`));
      else resolve(stdout);
    });
    child.stdin!.end(stdin ?? '');
  });
}

function folders(): readonly vscode.WorkspaceFolder[] {
  return vscode.workspace.workspaceFolders ?? [];
}

describe('multi-root workspace', () => {
  const probes: string[] = [];
  let restore: (() => Promise<void>) | undefined;

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const f of probes) fs.rmSync(f, { force: true });
    await restore?.();
  });

  it('is the workspace file with both folders', () => {
    assert.ok(vscode.workspace.workspaceFile && /multiroot\.code-workspace$/.test(vscode.workspace.workspaceFile.path), String(vscode.workspace.workspaceFile));
    assert.deepEqual(folders().map((f) => f.name), ['ws', SECOND]);
    assert.equal(vscode.workspace.getConfiguration('lstmLens').get('hiddenSize'), 32, 'the tiny model settings of the workspace file apply');
  });

  it('Train on Workspace trains on the files of both roots', async () => {
    const api = await getApi();
    await clean(api);
    const from = api.messages.length;
    const corpus = new Promise<CorpusMessage>((resolve) => api.controller.once('corpus', resolve));
    await vscode.commands.executeCommand('lstmLens.train');
    const outcome = await api.commands.whenIdle();
    assert.equal(outcome?.kind, 'done', JSON.stringify(outcome));
    const c = await corpus;

    // the files the command line reads from the same two folders, by their corpus headers
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-corpus-'));
    try {
      await cli(['corpus', ...folders().map((f) => f.uri.fsPath), '--out', out]);
      const text = fs.readFileSync(path.join(out, 'train.txt'), 'utf8') + fs.readFileSync(path.join(out, 'val.txt'), 'utf8');
      const headers = [...text.matchAll(/^==> (.+) <==$/gm)].map((m) => m[1]);
      const second = headers.filter((h) => h.startsWith(`${SECOND}/`)), first = headers.filter((h) => h.startsWith('ws/'));
      assert.ok(second.length >= 2 && first.length >= 3 && second.length + first.length === headers.length, headers.join('\n'));
      assert.equal(c.files, headers.length, `the run read ${c.files} files; both roots hold ${headers.length}: ${headers.join(', ')}`);
      assert.equal(c.trainFiles + c.valFiles, c.files);
    } finally {
      fs.rmSync(out, { recursive: true, force: true });
    }
    const msgs = messagesSince(api, from).join('\n');
    assert.match(msgs, new RegExp(`training on ${c.files} files`), msgs);

    // the model knows the characters only the second root has, and both roots' kinds of file
    const ck = loadCheckpoint(api.store.modelPath!);
    for (const ch of ONLY_SECOND) assert.ok(ck.vocab.includes(ch), `the vocabulary has ${JSON.stringify(ch)}: ${JSON.stringify(ck.vocab.join(''))}`);
    await api.completions.refresh();
    const model = await waitFor('the completion worker to load the model', () => api.completions.model, 30_000);
    assert.ok(model.hasNGram, 'training wrote the n-gram counts beside the model');
    for (const ext of ['.lua', '.ts']) assert.ok(model.extensions.includes(ext), `trained on ${ext} files: ${model.extensions.join(' ')}`);
  });

  it("a completion in a file of the second root is primed with that root's header", async () => {
    const api = await getApi();
    // the worker keeps a checkpoint saved during the run when it scored better than the last one;
    // the command line reads the file: have the worker take the file as it is now (a newer mtime)
    const file = api.store.modelPath!;
    const steps = loadCheckpoint(file).training.steps;
    const later = new Date(fs.statSync(file).mtimeMs + 2000);
    fs.utimesSync(file, later, later);
    await api.completions.refresh();
    await waitFor('the completion worker to load the stored model', () => api.completions.model?.steps === steps, 30_000);
    // the LSTM alone (the mixture's weights depend on how far its warm-up got), and every
    // completion shown however unsure the tiny model is
    restore = keepWorkspaceSettings('lstmLens.completions', ['component', 'threshold']);
    const c = vscode.workspace.getConfiguration('lstmLens.completions');
    await c.update('component', 'lstm', vscode.ConfigurationTarget.Workspace);
    await c.update('threshold', 1000, vscode.ConfigurationTarget.Workspace);
    const alternatives = vscode.workspace.getConfiguration('lstmLens.completions').get<number>('alternatives', 1);

    const root = folders().find((f) => f.name === SECOND)!.uri.fsPath;
    const got: string[][] = [];
    const names: string[] = [];
    for (const [i, context] of CONTEXTS.entries()) {
      const name = `probe${i}.lua`;
      const file = path.join(root, 'lib', name);
      fs.writeFileSync(file, context);
      probes.push(file);
      names.push(name);
      const doc = await vscode.workspace.openTextDocument(file);
      assert.equal(vscode.workspace.asRelativePath(doc.uri, true), `${SECOND}/lib/${name}`);
      const list = await api.completions.provideInlineCompletionItems(doc, doc.positionAt(context.length), INVOKE, new vscode.CancellationTokenSource().token);
      got.push((list?.items ?? []).map((it) => it.insertText as string));
    }
    assert.ok(got.some((g) => g.length > 0), 'the provider answers in the second root');

    // the same text under the right header and under the single-root one; a path per request,
    // so no request reuses the state of another
    const requests = CONTEXTS.flatMap((context, i) => [
      { id: `right${i}`, context, path: `${SECOND}/lib/${names[i]}` },
      { id: `wrong${i}`, context, path: `lib/${names[i]}` },
    ]);
    const stdout = await cli(['complete', '--model', file, '--component', 'lstm', '--threshold', '1000', '--alternatives', String(alternatives)],
      requests.map((r) => JSON.stringify(r)).join('\n') + '\n');
    const replies = new Map<string, string[]>();
    for (const line of stdout.split('\n').filter(Boolean)) {
      const r = JSON.parse(line) as { id: string; completion?: string; completions?: string[]; error?: string };
      assert.equal(r.error, undefined, line);
      replies.set(r.id, r.completions ?? (r.completion ? [r.completion] : []));
    }
    // the editor does not show all that the command line answers (show-rules.ts): the same rules
    // on the command line's answers
    const shown = (context: string, list: string[]) => [...new Set(list.flatMap((t) => {
      const v = showVerdict(t, lineContext(context, context.length));
      return 'text' in v ? [v.text] : [];
    }))];
    let told = 0;
    for (const [i, context] of CONTEXTS.entries()) {
      const right = shown(context, replies.get(`right${i}`)!), wrong = shown(context, replies.get(`wrong${i}`)!);
      assert.deepEqual(got[i], right, `after ${JSON.stringify(context)}: the editor's completions are the ones under ==> ${SECOND}/lib/${names[i]} <== (under ==> lib/${names[i]} <==: ${JSON.stringify(wrong)})`);
      if (JSON.stringify(right) !== JSON.stringify(wrong)) told++;
    }
    assert.ok(told > 0, `the two headers gave the same completions at all ${CONTEXTS.length} places, so this cannot tell them apart: ${JSON.stringify(got)}`);
    console.log(`      ${told} of ${CONTEXTS.length} places tell the headers apart; e.g. ${JSON.stringify(CONTEXTS[0])} -> ${JSON.stringify(got[0])}`);
  });
});
