// Shared by the extension-host suites: the extension's API and polling helpers.
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { LstmLensApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'lstm-lens.lstm-lens';

export async function getApi(): Promise<LstmLensApi> {
  const ext = vscode.extensions.getExtension<LstmLensApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  return ext.activate();
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Messages shown to the user since `from` (an index into api.messages). */
export function messagesSince(api: LstmLensApi, from: number): string[] {
  return api.messages.slice(from).map((m) => `${m.level}: ${m.text}`);
}

/** Makes sure no run is going on and no model is stored (other suites may have left one). */
export async function clean(api: LstmLensApi): Promise<void> {
  if (api.controller.running) await vscode.commands.executeCommand('lstmLens.stop');
  await api.commands.whenIdle();
  await vscode.commands.executeCommand('lstmLens.reset', { confirm: false });
}

/** Makes sure a model trained on the workspace is stored (with the n-gram counts training writes
 *  beside it), training one for the workspace's few seconds when there is none: so a suite that
 *  needs a model runs alone too, and costs nothing more after a suite that left one. */
export async function ensureTrainedModel(api: LstmLensApi): Promise<void> {
  if (api.controller.running) await vscode.commands.executeCommand('lstmLens.stop');
  await api.commands.whenIdle();
  const file = api.store.modelPath!;
  const trained = api.store.exists() && fs.existsSync(file.replace(/\.safetensors$/, '.ngram.bin')) &&
    (await api.commands.loadStoredModel()) !== undefined;
  if (trained) return;
  await vscode.commands.executeCommand('lstmLens.train', { existingModel: 'continue' });
  const outcome = await api.commands.whenIdle();
  if (outcome?.kind !== 'done' || !api.store.exists()) throw new Error(`could not train a model: ${JSON.stringify(outcome)}`);
}

/** The workspace values of some settings now, and a function that puts them back (the fixture's
 *  .vscode/settings.json sets several: updating one to `undefined` would remove it, not restore it). */
export function keepWorkspaceSettings(section: string, keys: string[]): () => Promise<void> {
  const c = vscode.workspace.getConfiguration(section);
  const was = keys.map((k) => [k, c.inspect(k)?.workspaceValue] as const);
  return async () => {
    for (const [k, v] of was) await vscode.workspace.getConfiguration(section).update(k, v, vscode.ConfigurationTarget.Workspace);
  };
}
