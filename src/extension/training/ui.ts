// Keeps the status bar, the Training panel and its history in step with the controller's
// events and the stored model. Owns no state of its own beyond what it displays.
import type { ModelSummary } from '../../model-files/model-store';
import type { StatusBar, IdleState } from './status-bar';
import type { TrainingController, ProgressMessage, CorpusMessage, StartedMessage } from './controller';
import type { TrainingHistory } from './history';
import type { TrainingPanel } from './panel';
import type { PanelStatus } from './panel-messages';
import { bpc, clock, compact, plural } from '../format';
import { panelFileGroups } from './file-lists';

export class TrainingUi {
  private idle: IdleState = 'none';
  private model: ModelSummary | undefined;

  constructor(
    private readonly controller: TrainingController,
    private readonly status: StatusBar,
    private readonly history: TrainingHistory,
    private readonly panel: TrainingPanel,
  ) {
    controller.on('phase', () => this.refresh());
    controller.on('started', (m: StartedMessage) => {
      if (m.resumed) this.history.resume(m.valHistory, m.charsSeen);
      else this.history.reset(m.valHistory);
      this.refresh(true);
    });
    controller.on('progress', (m: ProgressMessage) => this.onProgress(m));
    controller.on('sample', (s: { text: string; charsSeen: number }) => {
      const sample = { text: s.text, charsSeen: s.charsSeen, time: Date.now() };
      this.history.addSample(sample);
      this.panel.sample(sample);
    });
    controller.on('corpus', (c: CorpusMessage) => {
      if (c.lists) {
        this.history.files = panelFileGroups(c.lists);
        this.panel.files(this.history.files);
      }
      this.refresh();
    });
  }

  /** The stored model changed (loaded, trained, imported, reset). */
  setModel(model: ModelSummary | undefined, idle: IdleState, keepHistory = false): void {
    this.model = model;
    this.idle = idle;
    if (!keepHistory && !this.controller.running) this.history.reset(model?.valHistory ?? []);
    this.refresh(true);
  }

  setIdleState(idle: IdleState): void {
    this.idle = idle;
    this.refresh();
  }

  private onProgress(m: ProgressMessage): void {
    const newTrain = this.history.addTrain(m.charsSeen, m.trainBpc);
    const newVal = m.valBpc !== undefined && this.history.addVal(m.charsSeen, m.valBpc);
    this.panel.points(newTrain ? [[m.charsSeen, m.trainBpc]] : [], newVal ? [[m.charsSeen, m.valBpc!]] : []);
    this.refresh();
  }

  /** Redraws the status bar and the panel's status; `full` re-sends the whole history to the panel. */
  private refresh(full = false): void {
    const live = this.controller.current;
    if (live) this.status.showLive(live);
    else this.status.showIdle(this.idle, this.model);
    this.history.status = this.panelStatus();
    // A reset history (new run, new model) is simplest to show by re-initialising the page.
    if (full) this.panel.reinit();
    else this.panel.status(this.history.status);
  }

  private panelStatus(): PanelStatus {
    const live = this.controller.current;
    const lines: string[] = [];
    const corpusLine = (c: CorpusMessage) => {
      lines.push(`Corpus: ${plural(c.files, 'file')}, ${compact(c.chars)} characters (${c.valFiles} held out)`);
      if (c.skippedSummary) lines.push(`Skipped: ${c.skippedSummary}`);
    };
    if (live) {
      const state = live.phase === 'collecting' ? 'reading files' : live.phase === 'stopping' ? 'saving' : 'training';
      const p = live.progress, s = live.started;
      if (s) {
        lines.push(`Model: ${s.config.layers}×${s.config.hidden} ${s.config.cell.toUpperCase()}, vocabulary ${s.config.vocabSize}${s.resumed ? ' (resumed)' : ''}`,
          `Engine: ${s.backend}, ${plural(s.threads, 'thread')}`);
        if (s.heldOutChanged) lines.push('Held-out files: changed since the model was last scored (earlier validation figures are not comparable)');
      }
      if (p) {
        lines.push(`Validation: ${bpc(p.valBpc)} bits/char`, `Train: ${bpc(p.trainBpc)} bits/char`,
          `Speed: ${compact(p.charsPerSecond)} chars/s`, `Seen: ${compact(p.charsSeen)} characters, step ${p.step}`,
          `Time left: ${p.etaMs !== undefined ? clock(p.etaMs) : '–'}`, `Learning rate: ${p.lr.toPrecision(3)}`);
      }
      if (live.corpus) corpusLine(live.corpus);
      if (live.lastSave) lines.push(`Saved: step ${live.lastSave.step} at ${new Date(live.lastSave.time).toLocaleTimeString()}`);
      return { state, lines };
    }
    const m = this.model;
    if (m) {
      lines.push(`Model: ${m.layers}×${m.hidden} ${m.cell.toUpperCase()}, vocabulary ${m.vocabSize}`,
        `Validation: ${bpc(m.valBpc)} bits/char`, `Seen: ${compact(m.charsSeen)} characters, step ${m.steps}`,
        `Trained for: ${clock(m.elapsedMs)}`);
    }
    const state = this.idle === 'none' && !m ? 'no model' : this.idle === 'none' ? 'ready' : this.idle;
    return { state, lines };
  }
}
