// Shared by the extension-host suites: the extension's API and polling helpers.
import * as vscode from 'vscode';
import type { LstmLensApi } from '../../src/extension/extension';

export const EXTENSION_ID = 'lstm-lens.lstm-lens';

export async function getApi(): Promise<LstmLensApi> {
  const ext = vscode.extensions.getExtension<LstmLensApi>(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not loaded`);
  const api = await ext.activate();
  return api;
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
