// The cell-activation panel's page: the shared webview shell (strict CSP, nonce'd script) around
// the static skeleton that media/cells-panel.ts fills in. No vscode import, so the benchmark
// can load the same page in a plain browser.
import { webviewPage } from '../webview-page';

export interface CellsHtmlOptions {
  nonce: string;
  /** the webview's cspSource (where the extension's own files are served from) */
  cspSource: string;
  scriptUri: string;
  /** webview.css and cells-panel.css, in that order (panelStylesheets) */
  styleUris: string[];
}

export function cellsPanelHtml(o: CellsHtmlOptions): string {
  return webviewPage({ ...o, title: 'LSTM Lens: Cell Activations', body: BODY });
}

const BODY = `<header>
  <h1>Cell activations</h1>
  <span id="doc-name" class="doc-name"></span>
  <span id="state" class="state">…</span>
  <span class="spacer-flex"></span>
  <span class="tabs"><button id="tab-heatmap" type="button">Heatmap</button><button id="tab-gates" type="button">Gate saturation</button></span>
</header>
<div class="toolbar">
  <label for="cell-select">Cell</label>
  <select id="cell-select" aria-label="Cell to paint"></select>
  <input id="raw-cell" class="raw" type="text" placeholder="L:i" aria-label="Any cell as LAYER:INDEX" spellcheck="false">
  <button id="btn-show" type="button" class="secondary">Show</button>
  <label class="check"><input id="paint-editor" type="checkbox">Paint in editor</label>
  <button id="btn-discover" type="button" class="secondary" hidden>Find cells</button>
  <button id="btn-train" type="button" hidden>Train on Workspace</button>
</div>
<div class="legend">
  <span>−1</span><span id="legend-bar" class="legend-bar" aria-hidden="true"></span><span>+1</span>
  <span id="legend-caption"></span>
  <span id="progress" class="progress"></span>
</div>
<ul id="notices" class="notices"></ul>
<details class="explain"><summary>What am I looking at?</summary>
  <p>A <b>cell</b> is one unit of the network's memory (LAYER:INDEX). An LSTM carries a value c for each cell
  from one character to the next; the heatmap paints <b>tanh(c)</b>, squashed into −1…+1, behind every character.
  A cell that discovery labelled is painted with its sign turned so that its feature (inside a string, deeper) is warm.</p>
  <p><b>AUC</b>: for a yes/no feature, the chance that the cell is higher on a random character inside it than on
  one outside (1 perfect, 0.5 chance). <b>r</b>: for a count (indentation, column), Pearson's correlation with the
  cell (±1 perfect, 0 none). Both are measured on held-out text the cell was not chosen on.</p>
  <p>Click a character to move the editor there and see the cells most active at it; select text in the editor to see
  the cells most selectively active in the selection.</p>
</details>
<section id="active" class="active" hidden>
  <div id="active-title" class="active-title"></div>
  <ol id="active-list" class="active-list"></ol>
</section>
<section id="heatmap-view" class="heatmap">
  <div id="scroller" class="scroller"><div id="spacer" class="spacer"></div><div id="rows" class="rows"></div></div>
</section>
<section id="gates-view" class="gates" hidden>
  <p class="empty">For each sigmoid gate of each cell: the fraction of characters where it is below 0.1 (left-saturated) against above 0.9 (right-saturated), over the followed file.</p>
  <div id="gates-plots" class="gates-plots"></div>
</section>
<div id="tip" class="tip" hidden></div>`;
