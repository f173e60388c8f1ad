// The Training panel's script (bundled to dist/media/training-panel.js, runs in the webview).
// Draws train and validation bits per char against characters seen on a canvas in the
// theme's colours, lists the run's numbers and the samples (newest first). Every piece of
// text goes in through textContent: nothing from the model or the workspace becomes markup.
import type { FromPanel, PanelFileGroup, PanelSample, PanelSnapshot, PanelStatus, ToPanel } from '../src/extension/training/panel-messages';

declare function acquireVsCodeApi(): { postMessage(m: FromPanel): void };
const vscode = acquireVsCodeApi();

const MAX_SAMPLES = 30;
const data: PanelSnapshot = { train: [], val: [], samples: [], status: { state: '…', lines: [] }, files: [] };

const canvas = document.getElementById('chart') as HTMLCanvasElement;
const stateEl = document.getElementById('state')!;
const linesEl = document.getElementById('status-lines')!;
const samplesEl = document.getElementById('samples')!;
const filesEl = document.getElementById('files')!;

// A CSP violation (an inline style, a blocked resource) is a bug: report it to the host.
let violations = 0;
document.addEventListener('securitypolicyviolation', (e) => {
  violations++;
  document.body.dataset.cspViolations = String(violations);
  vscode.postMessage({ type: 'csp-violation', detail: `${e.violatedDirective} ${e.blockedURI}` });
});

for (const [id, command] of [['btn-train', 'train'], ['btn-stop', 'stop'], ['btn-sample', 'generateSample']] as const) {
  document.getElementById(id)!.addEventListener('click', () => vscode.postMessage({ type: 'command', command }));
}

window.addEventListener('message', (event: MessageEvent<ToPanel>) => {
  const m = event.data;
  switch (m.type) {
    case 'init':
      data.train = m.snapshot.train; data.val = m.snapshot.val; data.samples = m.snapshot.samples.slice(0, MAX_SAMPLES);
      renderStatus(m.snapshot.status); renderSamples(); renderFiles(m.snapshot.files); draw();
      document.body.dataset.ready = '1';
      break;
    case 'points':
      data.train.push(...m.train); data.val.push(...m.val);
      scheduleDraw();
      break;
    case 'sample':
      addSample(m.sample);
      break;
    case 'status':
      renderStatus(m.status);
      break;
    case 'files':
      renderFiles(m.files);
      break;
  }
});

// ---- status and samples --------------------------------------------------------------------

function renderStatus(s: PanelStatus): void {
  data.status = s;
  stateEl.textContent = s.state;
  stateEl.className = `state state-${s.state.replace(/[^a-z]+/g, '-')}`;
  linesEl.replaceChildren(...s.lines.map((line) => {
    const li = document.createElement('li');
    li.textContent = line;
    return li;
  }));
  const running = s.state === 'training' || s.state === 'reading files' || s.state === 'saving';
  (document.getElementById('btn-train') as HTMLButtonElement).disabled = running;
  (document.getElementById('btn-stop') as HTMLButtonElement).disabled = !running;
}

function sampleNode(s: PanelSample): HTMLElement {
  const fig = document.createElement('figure');
  fig.className = 'sample';
  const cap = document.createElement('figcaption');
  cap.textContent = `after ${compact(s.charsSeen)} characters · ${new Date(s.time).toLocaleTimeString()}`;
  const pre = document.createElement('pre');
  pre.textContent = s.text;
  fig.append(cap, pre);
  return fig;
}

function renderSamples(): void {
  if (data.samples.length === 0) return;
  samplesEl.replaceChildren(...data.samples.map(sampleNode));
}

function addSample(s: PanelSample): void {
  data.samples.unshift(s);
  if (data.samples.length > MAX_SAMPLES) data.samples.length = MAX_SAMPLES;
  samplesEl.querySelector('.empty')?.remove();
  samplesEl.prepend(sampleNode(s));
  while (samplesEl.children.length > MAX_SAMPLES) samplesEl.lastElementChild!.remove();
}

// ---- the files of the run -----------------------------------------------------------------

/** Each group a <details> (the held-out and skipped ones open when short): its title, then its
 *  files, each a path and a note. Paths are the workspace's: textContent only. */
function renderFiles(groups: PanelFileGroup[]): void {
  data.files = groups;
  if (groups.length === 0) return;
  filesEl.replaceChildren(...groups.map((g) => {
    const details = document.createElement('details');
    details.className = `file-group file-group-${g.kind.replace(/[^a-z]+/g, '-')}`;
    details.open = g.kind !== 'train' && g.items.length > 0 && g.items.length <= 20;
    const summary = document.createElement('summary');
    summary.textContent = g.title;
    const list = document.createElement('ul');
    for (const f of g.items) {
      const li = document.createElement('li');
      const code = document.createElement('code');
      code.textContent = f.path;
      const note = document.createElement('span');
      note.className = 'note';
      note.textContent = f.note;
      li.append(code, note);
      list.append(li);
    }
    if (g.more) {
      const li = document.createElement('li');
      li.className = 'more';
      li.textContent = g.more;
      list.append(li);
    }
    details.append(summary, list);
    return details;
  }));
}

// ---- the chart -----------------------------------------------------------------------------

let drawPending = false;
function scheduleDraw(): void {
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(() => { drawPending = false; draw(); });
}

function cssVar(name: string, fallback: string): string {
  const v = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return v || fallback;
}

/** "nice" tick step for a span, so ticks land on 1, 2 or 5 times a power of ten */
function niceStep(span: number, ticks: number): number {
  const raw = span / Math.max(1, ticks);
  const p = Math.pow(10, Math.floor(Math.log10(raw)));
  const f = raw / p;
  return (f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10) * p;
}

function compact(n: number): string {
  const a = Math.abs(n);
  if (a >= 1e6) return `${+(n / 1e6).toFixed(a >= 1e7 ? 0 : 1)}M`;
  if (a >= 1e3) return `${+(n / 1e3).toFixed(a >= 1e4 ? 0 : 1)}k`;
  return String(Math.round(n));
}

function draw(): void {
  const dpr = window.devicePixelRatio || 1;
  const cssW = Math.max(200, canvas.clientWidth), cssH = Math.max(120, canvas.clientHeight);
  if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
    canvas.width = Math.round(cssW * dpr);
    canvas.height = Math.round(cssH * dpr);
  }
  const ctx = canvas.getContext('2d')!;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  const fg = cssVar('--vscode-foreground', '#888');
  const grid = cssVar('--vscode-editorWidget-border', cssVar('--vscode-panel-border', 'rgba(128,128,128,0.35)'));
  const bg = cssVar('--vscode-editor-background', 'transparent');
  const trainColour = cssVar('--vscode-charts-blue', '#3794ff');
  const valColour = cssVar('--vscode-charts-orange', '#d18616');
  const font = `11px ${cssVar('--vscode-font-family', 'sans-serif')}`;

  ctx.clearRect(0, 0, cssW, cssH);
  ctx.fillStyle = bg;
  ctx.fillRect(0, 0, cssW, cssH);

  const all = data.train.concat(data.val);
  const left = 44, right = 12, top = 10, bottom = 28;
  const w = cssW - left - right, h = cssH - top - bottom;
  const xMax = Math.max(1, ...all.map((p) => p[0]));
  let yMin = Math.min(...all.map((p) => p[1])), yMax = Math.max(...all.map((p) => p[1]));
  if (!Number.isFinite(yMin)) { yMin = 0; yMax = 8; }
  if (yMax - yMin < 0.5) { yMin -= 0.25; yMax += 0.25; }
  yMin = Math.max(0, Math.floor(yMin * 2) / 2);
  yMax = Math.ceil(yMax * 2) / 2;
  const X = (x: number) => left + (x / xMax) * w;
  const Y = (y: number) => top + (1 - (y - yMin) / (yMax - yMin)) * h;

  // grid and axis labels
  ctx.font = font;
  ctx.lineWidth = 1;
  ctx.strokeStyle = grid;
  ctx.fillStyle = fg;
  ctx.textAlign = 'right'; ctx.textBaseline = 'middle';
  const yStep = niceStep(yMax - yMin, 5);
  for (let y = Math.ceil(yMin / yStep) * yStep; y <= yMax + 1e-9; y += yStep) {
    ctx.beginPath(); ctx.moveTo(left, Math.round(Y(y)) + 0.5); ctx.lineTo(left + w, Math.round(Y(y)) + 0.5); ctx.stroke();
    ctx.fillText(y.toFixed(yStep < 1 ? 1 : 0), left - 6, Y(y));
  }
  ctx.textAlign = 'center'; ctx.textBaseline = 'top';
  const xStep = niceStep(xMax, Math.max(2, Math.floor(w / 90)));
  for (let x = 0; x <= xMax + 1e-9; x += xStep) {
    ctx.beginPath(); ctx.moveTo(Math.round(X(x)) + 0.5, top); ctx.lineTo(Math.round(X(x)) + 0.5, top + h); ctx.stroke();
    ctx.fillText(compact(x), X(x), top + h + 6);
  }
  ctx.save();
  ctx.translate(11, top + h / 2); ctx.rotate(-Math.PI / 2);
  ctx.textBaseline = 'middle';
  ctx.fillText('bits / char', 0, 0);
  ctx.restore();
  ctx.textAlign = 'right'; ctx.textBaseline = 'bottom';
  ctx.fillText('characters seen', left + w, cssH - 1);

  if (all.length === 0) {
    ctx.textAlign = 'center'; ctx.textBaseline = 'middle';
    ctx.fillText('Waiting for the first training steps…', left + w / 2, top + h / 2);
  }

  const line = (pts: [number, number][], colour: string, width: number, dots: boolean) => {
    if (pts.length === 0) return;
    ctx.strokeStyle = colour; ctx.fillStyle = colour; ctx.lineWidth = width; ctx.lineJoin = 'round';
    ctx.beginPath();
    pts.forEach(([x, y], i) => (i === 0 ? ctx.moveTo(X(x), Y(y)) : ctx.lineTo(X(x), Y(y))));
    ctx.stroke();
    if (dots || pts.length === 1) for (const [x, y] of pts) { ctx.beginPath(); ctx.arc(X(x), Y(y), 2.5, 0, 2 * Math.PI); ctx.fill(); }
  };
  line(data.train, trainColour, 1.5, false);
  line(data.val, valColour, 2, true);

  canvas.dataset.points = String(all.length);
  canvas.dataset.drawn = String(Number(canvas.dataset.drawn ?? 0) + 1);
}

new ResizeObserver(() => scheduleDraw()).observe(canvas);
// A theme change swaps the CSS variables: redraw in the new colours.
new MutationObserver(() => scheduleDraw()).observe(document.body, { attributes: true, attributeFilter: ['class'] });

vscode.postMessage({ type: 'ready' });
