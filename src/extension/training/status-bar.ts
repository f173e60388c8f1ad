// The status bar item: what training is doing (state, validation bits per char, chars/s, time
// left) or how good the stored model is; a click opens the Training panel.
import * as vscode from 'vscode';
import type { ModelSummary } from '../../model-files/model-store';
import type { LiveRun } from './controller';
import { bpc, clock, compact } from '../format';

export type IdleState = 'none' | 'ready' | 'stopped' | 'failed';

export class StatusBar implements vscode.Disposable {
  readonly item = vscode.window.createStatusBarItem('lstmLens.status', vscode.StatusBarAlignment.Left, 100);

  constructor() {
    this.item.name = 'LSTM Lens';
    this.item.command = 'lstmLens.showTraining';
    this.showIdle('none');
    this.item.show();
  }

  showIdle(state: IdleState, model?: ModelSummary): void {
    const score = model?.valBpc !== undefined ? ` · ${bpc(model.valBpc)} bpc` : '';
    const word = state === 'none' && !model ? 'no model' : state === 'stopped' ? 'stopped' : state === 'failed' ? 'failed' : 'ready';
    this.item.text = `$(circuit-board) LSTM: ${word}${score}`;
    this.item.tooltip = model
      ? `LSTM Lens: ${model.layers}×${model.hidden} ${model.cell.toUpperCase()}, ${compact(model.charsSeen)} characters trained` +
        `${model.valBpc !== undefined ? `, ${bpc(model.valBpc)} bits/char on held-out files` : ''}. Click to open the Training panel.`
      : 'LSTM Lens: no model yet. Run "LSTM Lens: Train on Workspace". Click to open the Training panel.';
    this.item.backgroundColor = state === 'failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
  }

  showLive(run: LiveRun): void {
    this.item.backgroundColor = undefined;
    if (run.phase === 'collecting') {
      this.item.text = '$(sync~spin) LSTM: reading files';
      this.item.tooltip = 'LSTM Lens is reading the workspace. Click to open the Training panel.';
      return;
    }
    if (run.phase === 'stopping') {
      this.item.text = '$(sync~spin) LSTM: saving';
      this.item.tooltip = 'LSTM Lens is saving the model. Click to open the Training panel.';
      return;
    }
    const p = run.progress;
    const val = p?.valBpc !== undefined ? `${bpc(p.valBpc)} bpc` : 'val –';
    const speed = p ? `${compact(p.charsPerSecond)} ch/s` : '– ch/s';
    const left = p?.etaMs !== undefined ? `${clock(p.etaMs)} left` : '';
    this.item.text = `$(pulse) LSTM: training · ${[val, speed, left].filter(Boolean).join(' · ')}`;
    this.item.tooltip = `LSTM Lens is training: step ${p?.step ?? 0}, ${compact(p?.charsSeen ?? 0)} characters seen, ` +
      `train ${bpc(p?.trainBpc)} / validation ${bpc(p?.valBpc)} bits per char. Click to open the Training panel.`;
  }

  dispose(): void {
    this.item.dispose();
  }
}
