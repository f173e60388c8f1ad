// LSTM Lens: the extension's entry point. `activate` only wires the parts together; each feature
// has its folder beside this file (training/, completions/, cells/), and the model's files are
// src/model-files' (ModelStore).
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULTS } from '../defaults';
import { CellsPanel } from './cells/panel';
import { Completions } from './completions/completions';
import { ModelStore } from '../model-files/model-store';
import { Notifier } from './notify';
import { StatusBar } from './training/status-bar';
import { TrainingCommands, type ExistingModelChoice } from './training/commands';
import { TrainingController } from './training/controller';
import { TrainingHistory } from './training/history';
import { TrainingPanel } from './training/panel';
import { TrainingUi } from './training/ui';
import { watchTyping } from './training/typing';

/** What activate() returns: for the extension-host tests (and other extensions, read-only use). */
export interface LstmLensApi {
  readonly store: ModelStore;
  readonly controller: TrainingController;
  readonly commands: TrainingCommands;
  readonly history: TrainingHistory;
  readonly panel: TrainingPanel;
  /** The last messages shown to the user (notifications), oldest first; read-only. */
  readonly messages: Notifier['shown'];
  readonly statusBarItem: vscode.StatusBarItem;
  readonly cellsPanel: CellsPanel;
  readonly completions: Completions;
}

let controller: TrainingController | undefined;

export function activate(context: vscode.ExtensionContext): LstmLensApi {
  const notify = new Notifier();
  const store = new ModelStore(context.storageUri?.fsPath);
  controller = new TrainingController({ workerPath: path.join(context.extensionPath, 'dist', 'training-worker.js'), heapMb: DEFAULTS.workerHeapMb.training });
  const history = new TrainingHistory();
  const statusBar = new StatusBar();
  const panel = new TrainingPanel(context.extensionUri, history, (command) => {
    void vscode.commands.executeCommand(`lstmLens.${command}`);
  });
  const ui = new TrainingUi(controller, statusBar, history, panel);
  const commands = new TrainingCommands(store, controller, ui, panel, notify, context.workspaceState);
  controller.on('notice', (m: string) => void notify.warn(m));
  context.subscriptions.push(watchTyping(controller));   // every idle core; one given back while the user types
  controller.on('saved', (m: { step: number }) => notify.trace(`saved the model at step ${m.step}`));

  const register = (id: string, fn: (...args: never[]) => unknown) =>
    context.subscriptions.push(vscode.commands.registerCommand(id, fn));
  register('lstmLens.train', (args?: { existingModel?: ExistingModelChoice }) => commands.train(args));
  register('lstmLens.stop', () => commands.stop());
  register('lstmLens.resume', () => commands.resume());
  register('lstmLens.reset', (args?: { confirm?: boolean }) => commands.reset(args));
  register('lstmLens.generateSample', (args?: { length?: number; temperature?: number }) => commands.generateSample(args));
  register('lstmLens.exportModel', (uri?: vscode.Uri) => commands.exportModel(uri));
  register('lstmLens.importModel', (uri?: vscode.Uri, args?: { confirm?: boolean }) => commands.importModel(uri, args));
  register('lstmLens.showTraining', () => commands.showTraining());
  const cellsPanel = new CellsPanel(context.extensionUri, store, controller);
  register('lstmLens.showCellActivations', () => cellsPanel.show());
  context.subscriptions.push(cellsPanel);
  context.subscriptions.push(notify, statusBar, panel);
  // Inline ghost completions, computed in their own worker.
  const completions = new Completions({ context, store, controller, notify, workerPath: path.join(context.extensionPath, 'dist', 'completion-worker.js') });
  context.subscriptions.push(completions);

  // The stored model of this workspace: read (and checked) once at startup.
  void commands.loadStoredModel();

  return { store, controller, commands, history, panel, messages: notify.shown, statusBarItem: statusBar.item, cellsPanel, completions };
}

/** VS Code closing mid-training: ask the worker to save and end (the last periodic save is on disk either way). */
export async function deactivate(): Promise<void> {
  await controller?.dispose();
  controller = undefined;
}
