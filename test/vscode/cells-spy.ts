// The cell-activation panel as its page sees it: opens the panel under the webview spy and folds
// the messages between the extension and the page (src/extension/cells/panel-messages.ts) into
// what the tests check: the last state and model sent, the followed document with the values of
// each cell sent for it and how far it is computed, the gate plot, what the page painted, and the
// page's CSP reports.
import * as vscode from 'vscode';
import type { FromCellsPanel, PanelDocument, PanelModel, PanelState, ToCellsPanel } from '../../src/extension/cells/panel-messages';
import { codePointLength } from '../../src/extension/cells/text';
import { WebviewSpy, spyOnWebviewPanel } from './webview-spy';

/** One version of the followed document, as the page got it. */
export interface PageDocument {
  doc: string;
  version: number;
  document: PanelDocument;
  /** values per cell key ("L:i"), one per code point; NaN where none was sent */
  values: Map<string, Float32Array>;
  exactUpTo: number;
  /** the worker computed the whole text (a progress message with exactUpTo >= length) */
  done: boolean;
}

export class CellsView {
  constructor(readonly spy: WebviewSpy<ToCellsPanel>) {}

  private get sent(): ToCellsPanel[] { return this.spy.toPage.map((x) => x.m); }
  /** Messages to the page from index `from` on (an index into spy.toPage). */
  sentSince(from: number): ToCellsPanel[] { return this.sent.slice(from); }
  get sentCount(): number { return this.spy.toPage.length; }

  /** The last state sent to the page. */
  get state(): PanelState | undefined {
    return this.sent.filter((m) => m.type === 'state').map((m) => (m as Extract<ToCellsPanel, { type: 'state' }>).state).at(-1);
  }

  /** The last model sent to the page, unless a state since said there is none (or it is loading another). */
  get model(): PanelModel | undefined {
    const sent = this.sent;
    for (let i = sent.length - 1; i >= 0; i--) {
      const m = sent[i];
      if (m.type === 'model') return m.model;
      if (m.type === 'state' && (m.state.kind === 'no-model' || m.state.kind === 'loading' || m.state.kind === 'model-error')) return undefined;
    }
    return undefined;
  }

  /** Every version of a document sent to the page, with the values and progress sent for it. */
  documents(): PageDocument[] {
    const out = new Map<string, PageDocument>();
    const id = (doc: string, version: number) => `${version} ${doc}`;
    for (const m of this.sent) {
      if (m.type === 'document') {
        out.set(id(m.document.doc, m.document.version), { doc: m.document.doc, version: m.document.version, document: m.document, values: new Map(), exactUpTo: 0, done: false });
      } else if (m.type === 'values') {
        const d = out.get(id(m.doc, m.version));
        if (!d) continue;
        let v = d.values.get(m.key);
        if (!v) d.values.set(m.key, v = new Float32Array(codePointLength(d.document.text)).fill(NaN));
        v.set(m.values.subarray(0, Math.max(0, v.length - m.start)), m.start);
      } else if (m.type === 'progress') {
        const d = out.get(id(m.doc, m.version));
        if (!d) continue;
        d.exactUpTo = m.exactUpTo;
        d.done = m.exactUpTo >= m.length;
      }
    }
    return [...out.values()];
  }

  /** The document the page shows now: the last one sent, while the last state is 'ready'. */
  get current(): PageDocument | undefined {
    if (this.state?.kind !== 'ready') return undefined;
    return this.documents().at(-1);
  }

  /** Units in the last gate-saturation plot sent. */
  get gatePoints(): number {
    const g = this.sent.filter((m) => m.type === 'gates').at(-1) as Extract<ToCellsPanel, { type: 'gates' }> | undefined;
    return g ? g.layers.reduce((a, l) => a + l.gates.reduce((b, x) => b + x.low.length, 0), 0) : 0;
  }

  /** What went wrong, as the page was told: model-error states and discovery messages other than progress and results. */
  get problems(): string[] {
    return this.sent.flatMap((m) => {
      if (m.type === 'state' && m.state.kind === 'model-error') return [m.state.message];
      if (m.type === 'discovery' && !/^Finding the cells|Found [\d,]+ cells on [\d,]+ characters/.test(m.message)) return [m.message];
      return [];
    });
  }

  /** The page's reports that it painted text: [version, ms, characters]. */
  get paints(): [number, number, number][] {
    return this.fromPage('painted').map((m) => [m.version, m.ms, m.chars]);
  }

  /** The page's reports of what its Content-Security-Policy blocked. */
  get cspViolations(): string[] {
    return this.fromPage('csp-violation').map((m) => m.detail);
  }

  fromPage<K extends FromCellsPanel['type']>(type: K): Extract<FromCellsPanel, { type: K }>[] {
    return this.spy.fromPage.filter((m) => m.type === type) as unknown as Extract<FromCellsPanel, { type: K }>[];
  }

  /** A user's click in the page: the message the page would post. */
  click(m: FromCellsPanel): void {
    this.spy.sendAsPage(m);
  }
}

let shown: CellsView | undefined;

/** Runs LSTM Lens: Show Cell Activations; the view of the panel it opens (or of the one open). */
export async function showCellsPanel(): Promise<CellsView> {
  if (shown && !shown.spy.disposed) {
    await vscode.commands.executeCommand('lstmLens.showCellActivations');
    return shown;
  }
  const spy = await spyOnWebviewPanel<ToCellsPanel>('lstmLens.cells', () => vscode.commands.executeCommand('lstmLens.showCellActivations'));
  shown = new CellsView(spy);
  return shown;
}
