// The status bar item of completions: on or off (a click toggles), and why nothing is offered
// when there is no usable model.
import * as vscode from 'vscode';
import type { LoadedInfo } from '../../complete/protocol';

export class CompletionStatus implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('lstmLens.completions', vscode.StatusBarAlignment.Right, 100);

  constructor() {
    this.item.name = 'LSTM Lens Completions';
    this.item.command = 'lstmLens.toggleCompletions';
    this.item.show();
  }

  update(on: boolean, model: LoadedInfo | undefined, problem?: string): void {
    if (!on) {
      this.item.text = '$(circle-slash) LSTM completions off';
      this.item.tooltip = 'LSTM Lens ghost completions are off. Click to turn them on.';
      return;
    }
    this.item.text = model ? '$(sparkle) LSTM completions' : '$(sparkle) LSTM completions (no model)';
    const from = model
      ? `from the ${model.layers}×${model.hidden} ${model.cell.toUpperCase()}${model.hasNGram ? ' mixed with the n-gram of the workspace' : ''}`
      : problem ?? 'once a model of this workspace is trained (LSTM Lens: Train on Workspace)';
    this.item.tooltip = `LSTM Lens ghost completions are on, ${from}. Click to turn them off.`;
  }

  dispose(): void {
    this.item.dispose();
  }
}
