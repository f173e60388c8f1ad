// Tells the training run when the user types or moves the cursor, so that it gives a core back
// while they do (src/training/typing-backoff.ts). Only the user's own documents count: an output
// channel or a log changes whenever something is written to it.
import * as vscode from 'vscode';
import type { TrainingController } from './controller';

const NOT_TYPED = new Set(['output', 'debug', 'vscode-terminal']);

export function watchTyping(controller: TrainingController): vscode.Disposable {
  const typed = () => { if (controller.running) controller.userTyping(); };
  return vscode.Disposable.from(
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (e.contentChanges.length > 0 && !NOT_TYPED.has(e.document.uri.scheme)) typed();
    }),
    vscode.window.onDidChangeTextEditorSelection((e) => {
      if (!NOT_TYPED.has(e.textEditor.document.uri.scheme)) typed();
    }),
  );
}
