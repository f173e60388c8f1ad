// The lstmLens.completions.* settings (documented in package.json contributes.configuration).
// `enabled` is language-overridable ("[python]": { "lstmLens.completions.enabled": false }), so
// it is read for the document's language.
import * as vscode from 'vscode';
import { decodeSettings, DecodeSettings } from '../../complete/settings';

export interface CompletionUserSettings {
  /** On for this document's language. */
  enabled: boolean;
  decode: DecodeSettings;
  /** Completions offered when the user asks explicitly (Alt+\ or the trigger command). */
  explicitAlternatives: number;
  /** Wait after a keystroke before asking the worker (a newer keystroke cancels it). */
  debounceMs: number;
}

export function readCompletionSettings(doc?: vscode.TextDocument): CompletionUserSettings {
  const c = vscode.workspace.getConfiguration('lstmLens.completions', doc ? { uri: doc.uri, languageId: doc.languageId } : undefined);
  const num = (key: string, def: number) => {
    const v = c.get<number>(key, def);
    return typeof v === 'number' && Number.isFinite(v) ? v : def;
  };
  const decode = decodeSettings({
    component: c.get('component'), strategy: c.get('decoding'), beamWidth: c.get('beamWidth'), scope: c.get('scope'),
    maxChars: c.get('maxChars'), threshold: c.get('threshold'), alternatives: 1,
  });
  return {
    enabled: c.get<boolean>('enabled', true) !== false,
    decode,
    explicitAlternatives: Math.max(1, Math.min(10, Math.round(num('alternatives', 3)))),
    debounceMs: Math.max(0, Math.min(2000, num('debounceMs', 40))),
  };
}
