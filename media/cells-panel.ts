// The cell-activation panel's script (bundled to dist/media/cells-panel.js, runs in the webview).
// Shows the followed editor's text with each character's background coloured by the chosen
// cell's value (tanh(c) for an LSTM) on a diverging red–blue scale; only the lines in view are
// built (a virtual list), so a long file costs no more than a short one. Hovering a character
// shows its value and the model's five likeliest next characters. A second view plots gate
// saturation. Every piece of text from the document or the model goes in through textContent
// (never markup), and every style through classes or the CSSOM: the nonce CSP forbids inline
// style attributes.
import { BINS, binOf } from '../src/extension/cells/panel-messages';
import type { CellOption, FromCellsPanel, GateLayerData, PanelDocument, PanelModel, PanelState, ToCellsPanel } from '../src/extension/cells/panel-messages';

declare function acquireVsCodeApi(): { postMessage(m: FromCellsPanel): void };
const vscode = acquireVsCodeApi();
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;

const stateEl = $('state'), noticesEl = $('notices'), progressEl = $('progress');
const select = $<HTMLSelectElement>('cell-select'), rawInput = $<HTMLInputElement>('raw-cell');
const legendCaption = $('legend-caption'), docName = $('doc-name');
const scroller = $('scroller'), spacer = $('spacer'), rows = $('rows'), tip = $('tip');
const heatmapView = $('heatmap-view'), gatesView = $('gates-view'), gatesPlots = $('gates-plots');
const paintEditor = $<HTMLInputElement>('paint-editor');
const discoverBtn = $<HTMLButtonElement>('btn-discover'), trainBtn = $<HTMLButtonElement>('btn-train');

// A CSP violation (an inline style, a blocked resource) is a bug: report it to the host.
let violations = 0;
document.addEventListener('securitypolicyviolation', (e) => {
  violations++;
  document.body.dataset.cspViolations = String(violations);
  vscode.postMessage({ type: 'csp-violation', detail: `${e.violatedDirective} ${e.blockedURI}` });
});

// ---- state ------------------------------------------------------------------------------------

let model: PanelModel | undefined;
let doc: PanelDocument | undefined;
/** each line (without its line break) and the code-point index of its first character */
let lines: string[] = [];
let lineStart: number[] = [];
let length = 0;
/** the selected cell's values over the current document; NaN where not computed yet */
let values = new Float32Array(0);
let exactUpTo = 0;
let selected = '';
/** The selected cell is painted as sign·value: its best label's side is the warm colour. */
let sign: 1 | -1 = 1;
let lineHeight = 18;
let view: 'heatmap' | 'gates' = 'heatmap';
/** Characters built per line at most. */
const MAX_COLS = 2000;

window.addEventListener('message', (event: MessageEvent<ToCellsPanel>) => {
  const m = event.data;
  switch (m.type) {
    case 'state': showState(m.state); break;
    case 'model': setModel(m.model); break;
    case 'document': setDocument(m.document); break;
    case 'values': addValues(m); break;
    case 'progress':
      if (doc && m.doc === doc.doc && m.version === doc.version) {
        exactUpTo = m.exactUpTo;
        progressEl.textContent = m.exactUpTo >= m.length
          ? `${m.length.toLocaleString('en-US')} characters in ${(m.ms / 1000).toFixed(1)} s`
          : m.exactUpTo === 0 ? 'painted around the view' : `exact up to ${Math.floor((100 * m.exactUpTo) / Math.max(1, m.length))}%${timeLeft(m)}`;
        document.body.dataset.exactUpTo = String(m.exactUpTo);
      }
      break;
    case 'reveal':
      if (doc && m.doc === doc.doc) scrollToLine(m.line);
      break;
    case 'guesses': showGuesses(m.at, m.top); break;
    case 'gates': drawGates(m.layers, m.steps, m.cell); break;
    case 'discovery':
      discoverBtn.disabled = m.running;
      discoverBtn.textContent = m.running ? 'Finding cells…' : 'Find cells';
      if (m.message) setNotices([m.message]);
      break;
    case 'options': paintEditor.checked = m.decorations; break;
    case 'active': showActive(m); break;
  }
});

function showState(s: PanelState): void {
  document.body.dataset.state = s.kind;
  stateEl.textContent = s.message;
  stateEl.className = `state state-${s.kind}`;
  trainBtn.hidden = s.kind !== 'no-model';
  heatmapView.classList.toggle('dim', s.kind !== 'ready');
  if (s.kind !== 'ready') {
    // nothing to paint: no text from an earlier document stays on screen
    doc = undefined; lines = []; lineStart = []; length = 0; values = new Float32Array(0);
    docName.textContent = '';
    progressEl.textContent = '';
    render();
  }
  if (s.kind === 'no-model' || s.kind === 'model-error') clearModel();
}

/** No model (reset, or one that cannot be loaded): no cells of an earlier model stay offered. */
function clearModel(): void {
  model = undefined;
  delete document.body.dataset.model;
  select.replaceChildren();
  discoverBtn.hidden = true;
  gatesPlots.replaceChildren();
  setNotices([]);
  document.body.dataset.options = '0';
}

function setModel(m: PanelModel): void {
  model = m;
  document.body.dataset.model = `${m.cell} ${m.layers}x${m.hidden}`;
  select.replaceChildren(...m.options.map((o) => option(o)));
  const raw = document.createElement('option');
  raw.value = '';
  raw.textContent = 'Raw cell (type LAYER:INDEX) …';
  select.append(raw);
  discoverBtn.hidden = false;
  setSelected(m.selected);
  if (m.noDiscovered) setNotices(['No cells have been discovered in this model yet. Click "Find cells" to score every cell on the workspace\'s held-out files, or type any cell as LAYER:INDEX.']);
  else setNotices([]);
  document.body.dataset.options = String(m.options.length);
}

function option(o: CellOption): HTMLOptionElement {
  const el = document.createElement('option');
  el.value = o.key;
  el.textContent = o.label;
  if (o.detail) el.title = o.detail;
  return el;
}

function setSelected(key: string): void {
  if (key !== selected) values = new Float32Array(length).fill(NaN);   // the host sends the new cell's values
  selected = key;
  const known = Array.from(select.options).some((o) => o.value === key);
  select.value = known ? key : '';
  rawInput.value = key;
  sign = model?.options.find((o) => o.key === key)?.sign ?? 1;
  const what = model?.paint === 'tanh' ? 'tanh(c)' : 'h';
  legendCaption.textContent = sign < 0 ? `−${what} of cell ${key} (sign flipped: its feature is warm)` : `${what} of cell ${key}`;
  document.body.dataset.sign = String(sign);
  document.body.dataset.selected = key;
  render();
}

function setDocument(d: PanelDocument): void {
  const sameDoc = doc?.doc === d.doc;
  doc = d;
  lines = d.text.split('\n');
  lineStart = [];
  let pos = 0;
  for (const l of lines) { lineStart.push(pos); pos += codePoints(l) + 1; }
  length = Math.max(0, pos - 1);   // the last line has no line break after it
  values = new Float32Array(length).fill(NaN);   // the host re-sends what an edit left valid at once
  exactUpTo = 0;
  docName.textContent = `${d.name} · ${d.languageId}`;
  setNotices(d.notes);
  layoutRows();
  // where the editor is, also when the same document comes again (a reopened panel, an edit)
  scrollToLine(d.topLine);
  document.body.dataset.docVersion = String(d.version);
  render();
}

function addValues(m: Extract<ToCellsPanel, { type: 'values' }>): void {
  if (!doc || m.doc !== doc.doc || m.version !== doc.version || m.key !== selected) return;
  const src = m.values;
  for (let i = 0; i < src.length && m.start + i < length; i++) values[m.start + i] = src[i] ?? NaN;
  scheduleRender();
}

function setNotices(notes: string[]): void {
  noticesEl.replaceChildren(...notes.map((n) => {
    const li = document.createElement('li');
    li.textContent = n;
    return li;
  }));
}

// ---- the heatmap: only the lines in view are built ---------------------------------------------

let renderQueued = false;
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => { renderQueued = false; render(); });
}

scroller.addEventListener('scroll', () => scheduleRender());
let laidOutWidth = 0;
new ResizeObserver(() => {
  if (scroller.clientWidth !== laidOutWidth) { laidOutWidth = scroller.clientWidth; layoutRows(); }
  scheduleRender();
}).observe(scroller);

/** How a character is shown: visible stand-ins for the invisible ones. */
function shown(ch: string): string {
  if (ch === '\t') return '\t';
  if (ch === '\r') return '␍';
  const cp = ch.codePointAt(0)!;
  if (cp < 0x20 || cp === 0x7f) return '·';
  return ch;
}

// Long lines wrap: each line takes ceil(columns / wrapCols) rows of lineHeight (a tab counts
// TAB_SIZE columns, as the CSS draws it), and rowStart[l] is the first row of line l, so the
// virtual list still maps a scroll offset to a row with one search.
const TAB_SIZE = 4;
let charWidth = 8, gutterWidth = 56, wrapCols = 80;
let rowStart = new Int32Array(1);

/** Lays out the rows of the current lines for the scroller's width; keeps the line at the top in view. */
function layoutRows(): void {
  const topLine = lineAtRow(Math.floor(scroller.scrollTop / lineHeight));
  wrapCols = Math.max(20, Math.floor((scroller.clientWidth - gutterWidth - 24) / charWidth));
  rowStart = new Int32Array(lines.length + 1);
  for (let ln = 0; ln < lines.length; ln++) {
    const l = lines[ln];
    let cols = Math.min(l.length, MAX_COLS) + 1;   // the line break is a character too
    for (let k = 0; k < Math.min(l.length, MAX_COLS); k++) if (l.charCodeAt(k) === 9) cols += TAB_SIZE - 1;
    rowStart[ln + 1] = rowStart[ln] + Math.max(1, Math.ceil(cols / wrapCols));
  }
  spacer.style.height = `${rowStart[lines.length] * lineHeight}px`;
  scroller.scrollTop = rowStart[Math.min(topLine, lines.length)] * lineHeight;
}

/** The line that row r belongs to. */
function lineAtRow(r: number): number {
  let lo = 0, hi = Math.max(0, rowStart.length - 2);
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (rowStart[mid] <= r) lo = mid; else hi = mid - 1; }
  return lo;
}

function scrollToLine(line: number): void {
  scroller.scrollTop = rowStart[Math.max(0, Math.min(line, lines.length))] * lineHeight;
}

function render(): void {
  const t0 = performance.now();
  const v = values.length ? values : undefined;
  const paint = model?.paint ?? 'tanh';
  const total = rowStart[lines.length] ?? 0;
  const first = Math.max(0, Math.floor(scroller.scrollTop / lineHeight) - 5);
  const last = Math.min(total, first + Math.ceil(scroller.clientHeight / lineHeight) + 10);
  const frag = document.createDocumentFragment();
  let painted = 0;
  for (let ln = lineAtRow(first); ln < lines.length && rowStart[ln] < last; ln++) {
    const chars = [...lines[ln]];
    const base = lineStart[ln];
    const n = chars.length + (ln < lines.length - 1 ? 1 : 0);   // the line break is a character too
    let row: HTMLElement | undefined, code: HTMLElement | undefined, seg = -1, col = 0;
    for (let j = 0; j < n; j++) {
      const want = Math.floor(col / wrapCols);
      if (want !== seg) {
        seg = want;
        const r = rowStart[ln] + seg;
        if (r >= last) break;
        row = document.createElement('div');
        row.className = seg === 0 ? 'row' : 'row cont';
        const num = document.createElement('span');
        num.className = 'ln';
        num.textContent = seg === 0 ? String(ln + 1) : '';
        code = document.createElement('span');
        code.className = 'code';
        row.append(num, code);
        // rows above the first one in view are laid out but not built
        if (r >= first) frag.append(row);
      }
      if (j === MAX_COLS && chars.length > MAX_COLS + 1) {
        // a minified line: the rest is not built (the editor has it all)
        const more = document.createElement('span');
        more.className = 'more';
        more.textContent = ` … ${(chars.length - MAX_COLS).toLocaleString('en-US')} more characters`;
        code!.append(more);
        break;
      }
      col += j < chars.length && chars[j] === '\t' ? TAB_SIZE : 1;
      if (rowStart[ln] + seg < first) continue;
      const i = base + j;
      const span = document.createElement('span');
      const x = v ? v[i] : NaN;
      if (Number.isNaN(x)) span.className = 'ch pending';
      else {
        span.className = `ch b${binOf(sign * (paint === 'tanh' ? Math.tanh(x) : x))}`;
        painted++;
      }
      if (j === chars.length) { span.textContent = ' '; span.classList.add('nl'); }
      else span.textContent = shown(chars[j]);
      span.dataset.i = String(i);
      code!.append(span);
    }
    if (n === 0 && rowStart[ln] >= first) {
      // the last line, empty: its number still shows
      const empty = document.createElement('div');
      empty.className = 'row';
      const num = document.createElement('span');
      num.className = 'ln';
      num.textContent = String(ln + 1);
      empty.append(num);
      frag.append(empty);
    }
  }
  rows.replaceChildren(frag);
  rows.style.transform = `translateY(${first * lineHeight}px)`;
  rows.dataset.first = String(first);
  document.body.dataset.painted = String(painted);
  if (doc && painted > 0) {
    vscode.postMessage({ type: 'painted', doc: doc.doc, version: doc.version, ms: performance.now() - t0, chars: painted });
  }
}

// ---- click a character: the editor goes there; the cells most active at it (or in a selection) ----

rows.addEventListener('click', (e) => {
  const span = (e.target as HTMLElement).closest('span.ch') as HTMLElement | null;
  if (!span || span.dataset.i === undefined) return;
  vscode.postMessage({ type: 'goto', at: Number(span.dataset.i) });
});

const activeEl = $('active'), activeTitle = $('active-title'), activeList = $('active-list');

function showActive(m: Extract<ToCellsPanel, { type: 'active' }>): void {
  if (!doc || m.doc !== doc.doc) return;
  activeTitle.textContent = m.from === 'click'
    ? `Cells most active at ${describeChar(charAt(m.start))} (line ${lineOf(m.start) + 1}), against the 2,000 characters around it`
    : `Cells most selectively active in the selection (${(m.end - m.start).toLocaleString('en-US')} characters), against the text around it`;
  activeList.replaceChildren(...m.cells.map((c) => {
    const li = document.createElement('li');
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'link';
    b.textContent = c.key;
    b.addEventListener('click', () => choose(c.key));
    const what = document.createElement('span');
    what.textContent = ` ${c.score >= 0 ? 'high' : 'low'} here: ${c.inside.toFixed(2)} against ${c.around.toFixed(2)} around (${c.score.toFixed(1)} sd)${c.label ? ` · ${c.label}` : ''}`;
    li.append(b, what);
    li.dataset.key = c.key;
    return li;
  }));
  activeEl.hidden = false;
  document.body.dataset.active = String(m.cells.length);
}

function lineOf(i: number): number {
  let lo = 0, hi = lineStart.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (lineStart[mid] <= i) lo = mid; else hi = mid - 1; }
  return lo;
}

// ---- hover: the value and the model's guesses ---------------------------------------------------

let hoverAt = -1;
let hoverTimer: ReturnType<typeof setTimeout> | undefined;
rows.addEventListener('mouseover', (e) => {
  const span = (e.target as HTMLElement).closest('span.ch') as HTMLElement | null;
  if (!span || span.dataset.i === undefined) return;
  const at = Number(span.dataset.i);
  if (at === hoverAt) return;
  hoverAt = at;
  const x = values[at] ?? NaN;
  const ch = charAt(at);
  tip.replaceChildren();
  const head = document.createElement('div');
  head.className = 'tip-head';
  head.textContent = `${describeChar(ch)}   ${Number.isNaN(x) ? 'not computed yet' : valueText(x)}`;
  const list = document.createElement('ol');
  list.id = 'tip-guesses';
  const wait = document.createElement('li');
  wait.textContent = 'next character: …';
  list.append(wait);
  tip.append(head, list);
  const r = span.getBoundingClientRect();
  tip.style.left = `${Math.min(window.innerWidth - 240, r.left)}px`;
  tip.style.top = `${r.bottom + 4}px`;
  tip.hidden = false;
  if (hoverTimer) clearTimeout(hoverTimer);
  hoverTimer = setTimeout(() => vscode.postMessage({ type: 'hover', at }), 60);
});
rows.addEventListener('mouseleave', () => { tip.hidden = true; hoverAt = -1; });

function valueText(x: number): string {
  return model?.paint === 'tanh' ? `tanh(c) = ${Math.tanh(x).toFixed(3)}  (c = ${x.toFixed(3)})` : `h = ${x.toFixed(3)}`;
}

function charAt(i: number): string {
  let lo = 0, hi = lineStart.length - 1;
  while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (lineStart[mid] <= i) lo = mid; else hi = mid - 1; }
  return [...(lines[lo] ?? '')][i - lineStart[lo]] ?? '\n';
}

/** Code points in a string (a surrogate pair is one). */
function codePoints(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n--; i++; }
    }
  }
  return n;
}

function describeChar(ch: string): string {
  if (ch === '') return 'an unknown character';
  if (ch === '\n') return 'line break';
  if (ch === '\t') return 'tab';
  if (ch === ' ') return 'space';
  return `“${shown(ch)}”`;
}

function showGuesses(at: number, top: { ch: string; p: number }[]): void {
  if (at !== hoverAt || tip.hidden) return;
  const list = document.getElementById('tip-guesses');
  if (!list) return;
  list.replaceChildren(...top.map((g) => {
    const li = document.createElement('li');
    li.textContent = `${describeChar(g.ch)}  ${(100 * g.p).toFixed(1)}%`;
    return li;
  }));
}

// ---- controls -----------------------------------------------------------------------------------

select.addEventListener('change', () => {
  if (select.value === '') { rawInput.focus(); return; }
  choose(select.value);
});
rawInput.addEventListener('keydown', (e) => { if (e.key === 'Enter') chooseRaw(); });
$('btn-show').addEventListener('click', () => chooseRaw());
function chooseRaw(): void {
  const key = rawInput.value.trim();
  const m = /^(\d+):(\d+)$/.exec(key);
  if (!m || !model || Number(m[1]) >= model.layers || Number(m[2]) >= model.hidden) {
    rawInput.classList.add('invalid');
    rawInput.title = model ? `LAYER:INDEX with layer 0–${model.layers - 1} and index 0–${model.hidden - 1}` : 'no model';
    return;
  }
  rawInput.classList.remove('invalid');
  choose(`${Number(m[1])}:${Number(m[2])}`);
}
function choose(key: string): void {
  setSelected(key);
  vscode.postMessage({ type: 'select', key });
}
paintEditor.addEventListener('change', () => vscode.postMessage({ type: 'decorations', on: paintEditor.checked }));
discoverBtn.addEventListener('click', () => vscode.postMessage({ type: 'discover' }));
trainBtn.addEventListener('click', () => vscode.postMessage({ type: 'train' }));
for (const [id, v] of [['tab-heatmap', 'heatmap'], ['tab-gates', 'gates']] as const) {
  $(id).addEventListener('click', () => showView(v));
}
function showView(v: 'heatmap' | 'gates'): void {
  view = v;
  heatmapView.hidden = v !== 'heatmap';
  gatesView.hidden = v !== 'gates';
  $('tab-heatmap').classList.toggle('active', v === 'heatmap');
  $('tab-gates').classList.toggle('active', v === 'gates');
  vscode.postMessage({ type: 'view', view: v });
  if (v === 'heatmap') scheduleRender();
}

// ---- gate saturation: for each gate, the fraction of steps < 0.1 against > 0.9 ----------------

function cssVar(name: string, fallback: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;
}

function drawGates(layers: GateLayerData[], steps: number, cell: string): void {
  if (layers.length === 0 || layers[0].gates.length === 0) {
    const p = document.createElement('p');
    p.className = 'empty';
    p.textContent = cell === 'rnn' ? 'A vanilla RNN has no gates.' : 'No gate statistics yet.';
    gatesPlots.replaceChildren(p);
    return;
  }
  const colors = [cssVar('--vscode-charts-blue', '#3794ff'), cssVar('--vscode-charts-red', '#f14c4c'), cssVar('--vscode-charts-green', '#89d185'), cssVar('--vscode-charts-yellow', '#cca700')];
  const fg = cssVar('--vscode-foreground', '#ccc'), grid = cssVar('--vscode-editorWidget-border', '#555');
  const figs = layers.map((l) => {
    const fig = document.createElement('figure');
    const cap = document.createElement('figcaption');
    cap.textContent = `layer ${l.layer} (${steps.toLocaleString('en-US')} steps)`;
    const canvas = document.createElement('canvas');
    const size = 260, pad = 34, dpr = window.devicePixelRatio || 1;
    canvas.width = size * dpr; canvas.height = size * dpr;
    canvas.className = 'gate-plot';
    canvas.setAttribute('role', 'img');
    canvas.setAttribute('aria-label', `Gate saturation of layer ${l.layer}`);
    const ctx = canvas.getContext('2d')!;
    ctx.scale(dpr, dpr);
    const w = size - pad - 8;
    const X = (f: number) => pad + f * w, Y = (f: number) => size - pad - f * w;
    ctx.strokeStyle = grid; ctx.lineWidth = 1;
    ctx.strokeRect(X(0), Y(1), w, w);
    ctx.beginPath(); ctx.moveTo(X(0), Y(1)); ctx.lineTo(X(1), Y(0)); ctx.stroke();   // x + y = 1: always saturated
    ctx.fillStyle = fg; ctx.font = '10px sans-serif';
    ctx.fillText('0', X(0) - 8, Y(0) + 12); ctx.fillText('1', X(1) - 4, Y(0) + 12); ctx.fillText('1', X(0) - 10, Y(1) + 4);
    ctx.fillText('fraction < 0.1 (left-saturated)', X(0) + 20, size - 8);
    ctx.save(); ctx.translate(10, Y(0) - 10); ctx.rotate(-Math.PI / 2); ctx.fillText('fraction > 0.9 (right-saturated)', 0, 0); ctx.restore();
    let points = 0;
    l.gates.forEach((g, gi) => {
      ctx.fillStyle = colors[gi % colors.length];
      for (let u = 0; u < g.low.length; u++) { ctx.fillRect(X(g.low[u]) - 1.5, Y(g.high[u]) - 1.5, 3, 3); points++; }
    });
    canvas.dataset.points = String(points);
    const key = document.createElement('div');
    key.className = 'gate-key';
    l.gates.forEach((g, gi) => {
      const k = document.createElement('span');
      k.className = `key k${gi}`;
      const t = document.createElement('span');
      t.textContent = `${g.name} gate`;
      key.append(k, t);
    });
    fig.append(cap, canvas, key);
    return fig;
  });
  gatesPlots.replaceChildren(...figs);
}

// ---- start --------------------------------------------------------------------------------------

// The legend: one swatch per colour bin, −1 … +1.
$('legend-bar').replaceChildren(...Array.from({ length: BINS }, (_, b) => {
  const s = document.createElement('span');
  s.className = `swatch b${b}`;
  return s;
}));
// The line height of the code font, measured once.
{
  const probe = document.createElement('div');
  probe.className = 'row measure';
  probe.textContent = 'Mg';
  rows.append(probe);
  lineHeight = Math.max(10, Math.round(probe.getBoundingClientRect().height)) || 18;
  const text = document.createElement('span');
  text.textContent = 'M'.repeat(50);
  const ln = document.createElement('span');
  ln.className = 'ln';
  probe.replaceChildren(ln, text);
  charWidth = text.getBoundingClientRect().width / 50 || 8;
  gutterWidth = ln.getBoundingClientRect().width || 56;
  probe.remove();
}
showView('heatmap');
document.body.dataset.ready = '1';
vscode.postMessage({ type: 'ready' });

/** ", about 3 min left" while the whole-file pass has more than 10 s to go at its pace so far (a
 *  big model reads a long file for minutes: the user is told, not left waiting); else nothing. */
function timeLeft(m: { exactUpTo: number; length: number; ms: number }): string {
  const left = (m.ms * (m.length - m.exactUpTo)) / Math.max(1, m.exactUpTo) / 1000;
  if (!(left > 10)) return '';
  return left < 90 ? `, about ${Math.round(left)} s left` : `, about ${Math.round(left / 60)} min left`;
}
