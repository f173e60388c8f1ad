// The training commands: Train on Workspace, Stop, Resume, Reset, Generate Sample, Export and
// Import Model, Show Training. Each checks what must hold first (a folder is open, the
// workspace is trusted, no run is going on, a model exists) and answers with one clear message.
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { DEFAULTS, intervalsFor, saveEveryMsFor } from '../../defaults';
import { companionsOf, notAModelFile } from '../../model-files/companions';
import { modelFit } from '../../model-files/fit';
import type { TrainJob } from '../../training/protocol';
import { bpc, compact, plural } from '../format';
import { smallCorpusWarning } from './corpus-warnings';
import { failureMessage } from './failures';
import type { ModelStore, ModelSummary } from '../../model-files/model-store';
import type { Notifier } from '../notify';
import { readTrainingSettings } from '../settings';
import type { TrainingController, RunOutcome, CorpusMessage, StartedMessage } from './controller';
import type { TrainingPanel } from './panel';
import type { TrainingUi } from './ui';

/** What Train on Workspace does with a model already stored: train it further, or set it aside
 *  and train a new one (the command's argument; asked in a dialog when not given). */
export type ExistingModelChoice = 'continue' | 'new';

/** workspaceState key: the file name the stored model was imported from, while it is the stored one. */
const IMPORTED_KEY = 'lstmLens.importedFrom';

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
    /** the workspace's memento (context.workspaceState): remembers that the stored model was imported */
    private readonly state: vscode.Memento,
  ) {}

  /** The file name the stored model was imported from, or undefined (trained here, or none). */
  get importedFrom(): string | undefined {
    const v = this.state.get<unknown>(IMPORTED_KEY);
    return typeof v === 'string' && this.store.exists() ? v : undefined;
  }

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

  /** Train on Workspace. With a model stored, args.existingModel says whether to continue it or to
   *  train a new one (the stored one kept aside); without it, the user is asked. */
  async train(args?: { existingModel?: ExistingModelChoice }): Promise<void> {
    await this.startRun(false, args?.existingModel);
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
    await this.state.update(IMPORTED_KEY, undefined);
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
    const notModel = notAModelFile(source.fsPath);   // a sidecar or temp file picked in the dialog
    if (notModel) {
      void this.notify.error(`Cannot import ${path.basename(source.fsPath)}: ${notModel}`);
      return false;
    }
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
    // the files that come with it: the checkpoint is imported alone, so say what becomes of each
    const companions = companionsOf(source.fsPath);
    const companionLines = companions.map((c) => `${c.name} (${c.kind}): ${c.fate}.`);
    if ((this.store.exists() || companions.length > 0) && args?.confirm !== false) {
      const replace = this.store.exists();
      const detail = [
        ...(companionLines.length ? [`Import takes ${path.basename(source.fsPath)} alone. Beside it:`, ...companionLines.map((l) => `• ${l}`)] : []),
        ...(replace ? ['The optimizer state and n-gram counts of the model stored now are removed with it.'] : []),
      ].join('\n');
      const button = replace ? 'Replace' : 'Import';
      const choice = await vscode.window.showWarningMessage(
        replace ? 'Replace the trained model of this workspace with the imported one?' : `Import ${path.basename(source.fsPath)}?`,
        { modal: true, detail }, button);
      if (choice !== button) return false;
    }
    try {
      const summary = await this.store.importFrom(source.fsPath);
      this.controller.remainingMs = 0;
      await this.state.update(IMPORTED_KEY, path.basename(source.fsPath));
      await this.loadStoredModel();
      void this.notify.info(importedMessage(summary));
      if (companionLines.length) void this.notify.info(`Imported ${path.basename(source.fsPath)} alone; beside it, ${companionLines.join(' ')}`);
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

  private async startRun(resume: boolean, existing?: ExistingModelChoice): Promise<void> {
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
    // The stored model may have gone bad since it was read: check before the worker uses it (the
    // same model: the panel keeps its curves).
    if (this.store.exists() && !(await this.loadStoredModel({ keepHistory: true }))) return;
    // Train on Workspace over a stored model: continue it or train a new one, never silently.
    if (!this.model) await this.state.update(IMPORTED_KEY, undefined);   // a new model: trained here
    let setAside: string | undefined;
    if (!resume && this.model) {
      const choice = existing ?? await this.askAboutStoredModel(this.model);
      if (!choice) return;   // the dialog was closed: nothing changed
      if (this.controller.running) return;   // a run began while the question was open: that one goes on
      if (choice === 'new') {
        const was = this.importedFrom ? `The imported model (${this.importedFrom})` : 'The model trained before';
        try {
          setAside = this.store.setAside();
        } catch (e) {
          void this.notify.error(`Could not keep the stored model aside, so no new one was started: ${(e as Error).message}`);
          return;
        }
        await this.state.update(IMPORTED_KEY, undefined);
        this.controller.remainingMs = 0;
        await this.loadStoredModel();
        void this.notify.info(`Training a new model. ${was} is kept as ${setAside}; Import Model brings it back.`);
      }
    }

    const s = readTrainingSettings();
    const budgetMs = resume && this.controller.remainingMs > 5_000 ? this.controller.remainingMs : s.budgetMs;
    const job: TrainJob = {
      kind: 'train', corpus: { ...s.corpus, roots }, settings: s.run, checkpointPath: this.store.modelPath!, budgetMs, ...intervalsFor(budgetMs),
      saveEveryMs: saveEveryMsFor(budgetMs, s.saveIntervalSeconds),
    };
    const outcome = this.controller.start(job);
    this.runDone = outcome.then(async (o) => {
      // a new model that never got saved: the one set aside goes back in place
      if (setAside && this.store.restore(setAside)) this.notify.trace(`no new model was saved; ${path.basename(setAside)} is the stored model again`);
      return this.finish(o);
    }, () => undefined);
    this.showProgress(outcome);
    this.controller.once('corpus', (c: CorpusMessage) => this.reportCorpus(c));
    this.controller.once('started', (m: StartedMessage) => this.reportStarted(m));
    await this.runDone;
  }

  /** The modal question of Train on Workspace over a stored model, its consequences stated. */
  private async askAboutStoredModel(m: ModelSummary): Promise<ExistingModelChoice | undefined> {
    const imported = this.importedFrom;
    const shape = `${m.layers}×${m.hidden} ${m.cell.toUpperCase()}`;
    const it = imported ? 'the imported model' : 'the stored model';
    const cont = imported ? 'Continue Training the Imported Model' : 'Continue Training';
    const fresh = 'Train a New Model';
    const detail = [
      `${cont}: trains ${it} further on this workspace's files. Its vocabulary, size and settings are kept (settings that differ are ignored); ` +
      `a version is saved over it only when it scores better on this workspace's held-out files (a workspace of one file has none: then each save replaces it).`,
      `${fresh}: starts from scratch with the current settings. ${imported ? 'The imported model' : 'The stored model'} is kept, as previous-<date>.safetensors ` +
      `in this workspace's LSTM Lens storage; Import Model brings it back.`,
    ].join('\n\n');
    const message = imported
      ? `This workspace's model was imported from ${imported} (${shape}, ${compact(m.charsSeen)} characters trained). Continue training it on this workspace, or train a new model?`
      : `This workspace has a trained model (${shape}, ${compact(m.charsSeen)} characters trained). Continue training it, or train a new model?`;
    const choice = await vscode.window.showInformationMessage(message, { modal: true, detail }, cont, fresh);
    return choice === cont ? 'continue' : choice === fresh ? 'new' : undefined;
  }

  /** What the run's start tells: settings the stored model overrode, held-out files that changed
   *  since its figures, a corpus too small for the model. */
  private reportStarted(m: StartedMessage): void {
    if (m.settingsIgnored) void this.notify.info(m.settingsIgnored);
    if (m.heldOutChanged) void this.notify.warn(m.heldOutChanged);
    const c = this.controller.current?.corpus;
    const small = c && smallCorpusWarning(c.trainChars, m.params, m.config, m.resumed);
    if (small) void this.notify.warn(small);
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
          this.notify.trace(o.message);
          void this.notify.error(failureMessage(o.code, o.message, o.data) + this.keptNote());
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
    return this.model ? ` The last saved model (step ${this.model.steps}) is kept.` : ' No model had been saved yet, so none was lost.';
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
