// The training commands: Train on Workspace, Stop, Resume, Reset, Generate Sample, Export and
// Import Model, Show Training. Each checks what must hold first (a folder is open, the
// workspace is trusted, no run is going on, a model exists) and answers with one clear message.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULTS, intervalsFor, saveEveryMsFor } from '../../defaults';
import { modelFit } from '../../model-files/fit';
import type { TrainJob } from '../../training/protocol';
import { bpc, compact, plural } from '../format';
import { failureMessage } from './failures';
import type { ModelStore, ModelSummary } from '../../model-files/model-store';
import type { Notifier } from '../notify';
import { readTrainingSettings } from '../settings';
import type { TrainingController, RunOutcome, CorpusMessage, StartedMessage } from './controller';
import type { TrainingPanel } from './panel';
import type { TrainingUi } from './ui';

export class TrainingCommands {
  private runDone: Promise<RunOutcome | undefined> = Promise.resolve(undefined);
  /** The stored model as last read. */
  model: ModelSummary | undefined;

  constructor(
    private readonly store: ModelStore,
    private readonly controller: TrainingController,
    private readonly ui: TrainingUi,
    private readonly panel: TrainingPanel,
    private readonly notify: Notifier,
  ) {}

  /** Resolves when the current run (if any) has ended and its outcome was handled, with that
   *  outcome: the last run's when none is going on, undefined before the first run in this window. */
  whenIdle(): Promise<RunOutcome | undefined> {
    return this.runDone;
  }

  // ---- reading the stored model ------------------------------------------------------------

  /** Reads the stored model (at startup and after every run); reports and moves aside a corrupt one.
   *  keepHistory: the model is the one just trained, so the panel keeps the run's curves. */
  async loadStoredModel(opts: { keepHistory?: boolean } = {}): Promise<ModelSummary | undefined> {
    const stored = await this.store.read();
    if (stored.state === 'corrupt') {
      this.model = undefined;
      this.ui.setModel(undefined, 'failed');
      this.reportCorrupt(stored.reason, stored.movedTo);
      return undefined;
    }
    this.model = stored.state === 'ok' ? stored.summary : undefined;
    this.ui.setModel(this.model, this.model ? 'ready' : 'none', opts.keepHistory);
    return this.model;
  }

  private reportCorrupt(reason: string, movedTo: string): void {
    void this.notify.error(
      `The stored LSTM Lens model could not be read: ${reason} It was moved aside to ${path.basename(movedTo)} (in the extension's workspace storage); nothing else was touched.`,
      'Start Over',
    ).then((choice) => { if (choice === 'Start Over') void this.train(); });
  }

  // ---- commands ----------------------------------------------------------------------------

  async train(): Promise<void> {
    await this.startRun(false);
  }

  async resume(): Promise<void> {
    if (!this.controller.running && !this.store.exists()) {
      void this.notify.info('There is no stored model to resume in this workspace yet. Run "LSTM Lens: Train on Workspace" to start one.', 'Train on Workspace')
        .then((c) => { if (c) void this.train(); });
      return;
    }
    await this.startRun(true);
  }

  async stop(): Promise<void> {
    if (!this.controller.running) {
      void this.notify.info('LSTM Lens is not training right now.');
      return;
    }
    await this.controller.stop();
    await this.runDone;
  }

  async reset(args?: { confirm?: boolean }): Promise<boolean> {
    if (this.controller.running) {
      void this.notify.warn('Stop training before resetting the model (LSTM Lens: Stop Training).');
      return false;
    }
    if (!this.store.exists()) {
      void this.notify.info('There is no stored model to reset in this workspace.');
      return false;
    }
    if (args?.confirm !== false) {
      const choice = await vscode.window.showWarningMessage(
        'Delete the trained LSTM Lens model of this workspace? The next training run starts from scratch with the current settings.',
        { modal: true }, 'Reset Model');
      if (choice !== 'Reset Model') return false;
    }
    this.store.reset();
    this.controller.remainingMs = 0;
    await this.loadStoredModel();
    void this.notify.info('The LSTM Lens model of this workspace was deleted; the next training run starts from scratch.');
    return true;
  }

  /** Opens an untitled editor with a sample; returns its text (the result of executeCommand). */
  async generateSample(args?: { length?: number; temperature?: number }): Promise<string | undefined> {
    const length = args?.length ?? 600, temperature = args?.temperature ?? 0.8;
    let text: string;
    if (this.controller.running) {
      text = await this.controller.sampleRunning(length, temperature);
      if (!text) {
        void this.notify.info('The model is still being set up; try again in a moment.');
        return undefined;
      }
    } else {
      if (!this.store.exists()) {
        void this.notify.info('There is no trained model in this workspace yet. Run "LSTM Lens: Train on Workspace" first.', 'Train on Workspace')
          .then((c) => { if (c) void this.train(); });
        return undefined;
      }
      try {
        text = await this.controller.sampleStored({
          kind: 'sample', checkpointPath: this.store.modelPath!, length, temperature,
          seed: Math.floor(Math.random() * 2 ** 31), prime: '',
        });
      } catch (e) {
        await this.loadStoredModel();   // reports (and moves aside) a model that went bad
        if (this.model) void this.notify.error(`Could not generate a sample: ${(e as Error).message}`);
        return undefined;
      }
    }
    const doc = await vscode.workspace.openTextDocument({ content: text, language: 'plaintext' });
    await vscode.window.showTextDocument(doc, { preview: false });
    return text;
  }

  async exportModel(target?: vscode.Uri): Promise<vscode.Uri | undefined> {
    if (!this.store.exists()) {
      void this.notify.info('There is no trained model in this workspace to export yet.');
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    target ??= await vscode.window.showSaveDialog({
      title: 'Export LSTM Lens Model', saveLabel: 'Export',
      defaultUri: folder ? vscode.Uri.joinPath(folder, 'lstm-lens-model.safetensors') : undefined,
      filters: { 'Safetensors model': ['safetensors'] },
    });
    if (!target) return undefined;
    try {
      await this.store.exportTo(target.fsPath);
    } catch (e) {
      void this.notify.error(`Could not export the model: ${(e as Error).message}`);
      return undefined;
    }
    void this.notify.info(`Exported the model to ${target.fsPath}. The CLI reads it: lstm-lens sample --model ${path.basename(target.fsPath)}`);
    return target;
  }

  async importModel(source?: vscode.Uri, args?: { confirm?: boolean }): Promise<boolean> {
    if (!vscode.workspace.isTrusted) return this.refuseUntrusted('import a model'), false;
    if (this.controller.running) {
      void this.notify.warn('Stop training before importing a model (LSTM Lens: Stop Training).');
      return false;
    }
    if (!this.store.dir) {
      void this.notify.warn('Open a folder or workspace first: LSTM Lens keeps one model per workspace.');
      return false;
    }
    source ??= (await vscode.window.showOpenDialog({
      title: 'Import LSTM Lens Model', openLabel: 'Import', canSelectMany: false,
      filters: { 'Safetensors model': ['safetensors'] },
    }))?.[0];
    if (!source) return false;
    let incoming: ModelSummary;
    try {
      incoming = await this.store.validate(source.fsPath);   // refuse a bad file before asking anything
    } catch (e) {
      void this.notify.error((e as Error).message);
      return false;
    }
    const fit = modelFit(incoming, { totalMemBytes: os.totalmem() }, DEFAULTS.completions.timeoutMs);
    if (fit.warning) {
      if (args?.confirm !== false) {
        // modal, as Replace below: a notification's button may never be clicked
        const choice = await vscode.window.showWarningMessage(`${fit.warning} Import it anyway?`, { modal: true }, 'Import Anyway');
        if (choice !== 'Import Anyway') return false;
      }
      void this.notify.warn(fit.warning);   // what the user was told, in api.messages and the output channel
    }
    if (this.store.exists() && args?.confirm !== false) {
      const choice = await vscode.window.showWarningMessage(
        'Replace the trained model of this workspace with the imported one?', { modal: true }, 'Replace');
      if (choice !== 'Replace') return false;
    }
    try {
      const summary = await this.store.importFrom(source.fsPath);
      this.controller.remainingMs = 0;
      await this.loadStoredModel();
      void this.notify.info(importedMessage(summary));
      return true;
    } catch (e) {
      void this.notify.error((e as Error).message);
      return false;
    }
  }

  showTraining(): void {
    this.panel.show();
  }

  // ---- running -----------------------------------------------------------------------------

  private refuseUntrusted(what: string): void {
    void this.notify.warn(
      `LSTM Lens does not ${what} in a workspace you have not trusted: training reads every file of the workspace and ` +
      `runs with its settings. Trust the workspace to ${what}.`, 'Manage Workspace Trust',
    ).then((c) => { if (c) void vscode.commands.executeCommand('workbench.trust.manage'); });
  }

  private async startRun(resume: boolean): Promise<void> {
    if (this.controller.running) {
      void this.notify.info('LSTM Lens is already training in this window; a second run would compete for the same model. ' +
        'Stop it first, or open the Training panel to watch it.', 'Show Training')
        .then((c) => { if (c) this.showTraining(); });
      return;
    }
    if (!vscode.workspace.isTrusted) return this.refuseUntrusted('train');
    const roots = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file').map((f) => f.uri.fsPath);
    if (roots.length === 0 || !this.store.dir) {
      void this.notify.warn('Open a folder or workspace first: LSTM Lens trains on the files of the open workspace.');
      return;
    }
    this.store.ensureDir();
    // The stored model may have gone bad since it was read: check before the worker uses it.
    if (this.store.exists() && !(await this.loadStoredModel())) return;

    const s = readTrainingSettings();
    const budgetMs = resume && this.controller.remainingMs > 5_000 ? this.controller.remainingMs : s.budgetMs;
    const job: TrainJob = {
      kind: 'train', corpus: { ...s.corpus, roots }, settings: s.run, checkpointPath: this.store.modelPath!, budgetMs, ...intervalsFor(budgetMs),
      saveEveryMs: saveEveryMsFor(budgetMs, s.saveIntervalSeconds),
    };
    const outcome = this.controller.start(job);
    this.runDone = outcome.then((o) => this.finish(o), () => undefined);
    this.showProgress(outcome);
    this.controller.once('corpus', (c: CorpusMessage) => this.reportCorpus(c));
    this.controller.once('started', (m: StartedMessage) => { if (m.settingsIgnored) void this.notify.info(m.settingsIgnored); });
    await this.runDone;
  }

  private reportCorpus(c: CorpusMessage): void {
    const skipped = c.skippedSummary ? `; skipped ${c.skippedSummary}` : '';
    void this.notify.info(`LSTM Lens is training on ${plural(c.files, 'file')} (${compact(c.chars)} characters, ${c.valFiles} held out for validation)${skipped}.`);
  }

  /** The cancellable notification that lasts as long as the run; Cancel stops it (saving first). */
  private showProgress(outcome: Promise<RunOutcome>): void {
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'LSTM Lens', cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => void this.controller.stop());
        let reported = 0;
        const onPhase = (phase: string) => {
          if (phase === 'collecting') progress.report({ message: 'reading the workspace…' });
          else if (phase === 'stopping') progress.report({ message: 'saving the model…' });
        };
        const onProgress = (p: { fraction?: number; etaMs?: number; valBpc?: number; trainBpc: number; charsPerSecond: number } & { elapsedMs: number }) => {
          const live = this.controller.current;
          const fraction = live ? Math.min(1, p.elapsedMs / live.budgetMs) : 0;
          const increment = Math.max(0, fraction * 100 - reported);
          reported += increment;
          const score = p.valBpc !== undefined ? `validation ${bpc(p.valBpc)}` : `train ${bpc(p.trainBpc)}`;
          const left = p.etaMs !== undefined ? `, ${Math.max(1, Math.ceil(p.etaMs / 60_000))} min left` : '';
          progress.report({ increment, message: `training: ${score} bits/char, ${compact(p.charsPerSecond)} chars/s${left}` });
        };
        onPhase('collecting');
        this.controller.on('phase', onPhase);
        this.controller.on('progress', onProgress);
        try {
          await outcome;
        } finally {
          this.controller.off('phase', onPhase);
          this.controller.off('progress', onProgress);
        }
      });
  }

  /** Tells the user how the run ended, exactly once, and re-reads the stored model. */
  private async finish(o: RunOutcome): Promise<RunOutcome> {
    switch (o.kind) {
      case 'done': {
        await this.loadStoredModel({ keepHistory: true });
        this.ui.setIdleState(o.reason === 'stopped' ? 'stopped' : 'ready');
        const score = o.valBpc !== undefined ? `${bpc(o.valBpc)} bits/char on held-out files` : 'no held-out files to score on';
        if (o.lastStep !== undefined) {
          // validation kept an earlier model than the run's last: say which, and why
          void this.notify.info(`LSTM Lens ${o.reason === 'stopped' ? 'stopped' : 'finished'} training at step ${o.lastStep}; the model kept is ` +
            `the one of step ${o.step} (${score}), which scored better than the later ones.`);
          break;
        }
        void this.notify.info(o.reason === 'stopped'
          ? `LSTM Lens stopped training and saved the model at step ${o.step} (${score}). Resume Training continues where it left off.`
          : `LSTM Lens finished training: ${score} after ${compact(o.charsSeen)} characters (step ${o.step}). The model is saved.`);
        break;
      }
      case 'failed':
        if (o.code === 'corrupt-checkpoint') {
          const movedTo = this.store.moveAside();
          this.model = undefined;
          this.ui.setModel(undefined, 'failed');
          this.reportCorrupt(o.message, movedTo);
        } else {
          if (o.detail) this.notify.trace(o.detail);
          await this.loadStoredModel({ keepHistory: true });
          this.ui.setIdleState('failed');
          void this.notify.error(failureMessage(o.code, o.message) + this.keptNote());
        }
        break;
      case 'crashed': {
        await this.loadStoredModel({ keepHistory: true });
        this.ui.setIdleState('failed');
        const why = o.outOfMemory
          ? 'ran out of memory; lower lstmLens.hiddenSize, lstmLens.batchSize or lstmLens.maxCorpusMB'
          : `stopped unexpectedly (${o.message})`;
        void this.notify.error(`The LSTM Lens training worker ${why}.${this.keptNote()}`);
        break;
      }
    }
    return o;
  }

  private keptNote(): string {
    return this.model ? ` The last saved model (step ${this.model.steps}) is kept.` : '';
  }
}

/** "Imported a 2×256 LSTM model (1.2M characters trained)."; for a model another trainer wrote,
 *  "Imported a 3×1024 LSTM model trained elsewhere (PyTorch 2.3, 8 processes on cuda), 2.1B characters." */
export function importedMessage(m: ModelSummary): string {
  const shape = `${m.layers}×${m.hidden} ${m.cell.toUpperCase()}`;
  const chars = compact(m.charsSeen).replace(/G$/, 'B');
  const w = m.trainedWith;
  if (!w) return `Imported a ${shape} model (${chars} characters trained).`;
  const torch = typeof w.torch === 'string' ? `PyTorch ${/^\d+\.\d+/.exec(w.torch)?.[0] ?? w.torch}` : undefined;
  const where = typeof w.processes === 'number' && Number.isInteger(w.processes) && w.processes > 0 ? plural(w.processes, 'process', 'processes') : undefined;
  const device = typeof w.device === 'string' ? w.device : undefined;
  const how = [torch ?? (typeof w.trainer === 'string' ? w.trainer : undefined),
    where && device ? `${where} on ${device}` : where ?? (device ? `on ${device}` : undefined)].filter(Boolean).join(', ');
  return `Imported a ${shape} model trained elsewhere${how ? ` (${how})` : ''}, ${chars} characters.`;
}
