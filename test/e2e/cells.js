#!/usr/bin/env node
// Browser e2e of the cell-activation panel: the packaged .vsix in code-server (a real VS Code in
// the browser), driven through headless Chromium with playwright-core, as a user would:
//   "LSTM Lens: Import Model" takes a hand-built model (its cell 0:5 is a quote cell, by
//   construction, LOW inside strings and listed with sign −1) through the file dialog; a file with
//   strings is opened; "LSTM Lens: Show Cell Activations" opens the panel, which lists the
//   discovered cells and paints the text. The colours the webview computed for characters inside a
//   string and outside it are read back: warm inside, cool outside, as the sign normalisation must
//   make them (unflipped, strings would be blue); a light tint. Clicking a character moves the
//   editor's cursor there and lists the cells most active at it; a selection in the editor lists
//   the cells most selectively active in it; hovering a character shows its value and five
//   guesses; a file full of <script>, </div>, ${…} and &lt; shows as text (no element made from
//   it); no Content-Security-Policy violation reaches the console. Screenshots go to shots/.
//
// usage: node test/e2e/cells.js [--keep]     (dist/ must be built)   env: E2E_CHROMIUM=/usr/bin/chromium
// Prints `e2e: N passed, N failed, 0 skipped` last; exit code 0 only when all passed.
const fs = require('fs');
const path = require('path');
const { spawnSync } = require('child_process');
const { ROOT, ensureCodeServer, packageVsix, startCodeServer } = require('../harness/code-server');

const { SHOTS, check, runCommand, E2eRun } = require('./common');

const STRINGS = `// strings and code, for the quote cell
const greeting = "hello, wonderful world";
let total = 0;
if (total === 0) {
  total = count("another string here") + 1;
}
// ${'a long line that must wrap in the panel '.repeat(8)}
`;
const NASTY = `// not markup: every character below must show as itself
const a = "<script>alert('x')</script>";
const b = \`</div><img src=x onerror=alert(1)> \${evil()} &lt;b&gt; &amp;\`;
// <style>body { display: none }</style> <iframe src="https://example.com"></iframe>
`;

async function openFile(page, name) {
  await page.keyboard.press('Control+1');   // the first editor group, not the panel's
  await page.waitForTimeout(200);
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor({ timeout: 15000 });
  await page.keyboard.press('Enter');
  await page.locator('.tabs-container .tab.active', { hasText: name }).first().waitFor({ timeout: 15000 });
}

/** The cells panel's document (the webview's inner frame), found by its own elements. */
async function cellsFrame(page) {
  const end = Date.now() + 30000;
  while (Date.now() < end) {
    for (const f of page.frames()) {
      try { if (await f.locator('#cell-select').count() > 0) return f; } catch { /* detached */ }
    }
    await page.waitForTimeout(250);
  }
  throw new Error('the cell-activation panel did not appear');
}

/** The computed background colour of the characters at these code-point indices. */
function colours(frame, indices) {
  return frame.evaluate((ix) => ix.map((i) => {
    const span = document.querySelector(`#rows span.ch[data-i="${i}"]`);
    return span ? { text: span.textContent, bg: getComputedStyle(span).backgroundColor, cls: span.className } : null;
  }), indices);
}

function rgba(css) {
  const m = /rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)/.exec(css || '');
  return m ? { r: +m[1], g: +m[2], b: +m[3], a: m[4] === undefined ? 1 : +m[4] } : null;
}

(async () => {
  const run = new E2eRun('cells e2e', 'cells-', ['extension.js', 'media/cells-panel.js']);
  const tmp = run.tmp;
  let completed = false;
  try {
    const cs = ensureCodeServer();
    const vsix = packageVsix(path.join(tmp, 'lstm-lens.vsix'));
    const ws = path.join(tmp, 'ws');
    fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'ws'), ws, { recursive: true });
    fs.writeFileSync(path.join(ws, 'cells-strings.js'), STRINGS);
    fs.writeFileSync(path.join(ws, 'cells-nasty.js'), NASTY);
    const modelFile = path.join(tmp, 'hand-model.safetensors');
    const made = spawnSync(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/fixtures/cells/make-model.ts'), modelFile, '--quote-low'], { cwd: ROOT, encoding: 'utf8' });
    if (made.status !== 0) throw new Error(`could not write the fixture model: ${made.stderr}`);
    run.server = await startCodeServer({
      cs, vsix, folder: ws, stateDir: path.join(tmp, 'cs'),
      userSettings: { 'security.workspace.trust.enabled': false, 'workbench.colorTheme': 'Default Dark Modern', 'files.simpleDialog.enable': true },
    });
    const page = await run.openBrowser(1500);
    await page.goto(`${run.server.url}/?folder=${encodeURIComponent(ws)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    await page.locator('.statusbar-item', { hasText: 'LSTM:' }).first().waitFor({ timeout: 60000 });

    // 1. import the hand-built model through the palette and the file dialog
    await runCommand(page, 'LSTM Lens: Import Model', { arg: modelFile });
    const imported = page.locator('.notifications-toasts .notification-toast', { hasText: 'Imported' }).first();
    await imported.waitFor({ timeout: 30000 });
    check('Import Model takes the fixture model', true, (await imported.innerText()).replace(/\s+/g, ' ').slice(0, 100));

    // 2. a file with strings, then the panel
    await openFile(page, 'cells-strings.js');
    await runCommand(page, 'LSTM Lens: Show Cell Activations');
    const frame = await cellsFrame(page);
    await frame.locator('body[data-ready="1"]').waitFor({ timeout: 30000 });
    await frame.locator('body[data-options="2"]').waitFor({ timeout: 30000 });
    const options = await frame.locator('#cell-select option').allInnerTexts();
    check('the panel lists the discovered cells, best first, one entry per cell', options[0] === 'layer 0, #5: quote AUC 0.99' && options[1] === 'layer 0, #9: column r 0.88', options.join(' | '));
    const chars = [...STRINGS];
    await frame.waitForFunction((n) => Number(document.body.dataset.exactUpTo) >= n, chars.length, { timeout: 60000 });
    await page.waitForTimeout(300);
    const insideAt = [chars.indexOf('w'), chars.indexOf('f', chars.indexOf('"'))];
    const outsideAt = [STRINGS.indexOf('let'), STRINGS.indexOf('total')];
    const [inA, inB, outA, outB] = await colours(frame, [...insideAt, ...outsideAt]);
    await page.screenshot({ path: `${SHOTS}/cells-01-panel.png` });
    const ci = [inA, inB].map((x) => rgba(x && x.bg)), co = [outA, outB].map((x) => rgba(x && x.bg));
    // warm and cool, and a light tint (at most 0.42 opaque) that keeps the text readable
    const red = (c) => c && c.a > 0.15 && c.a <= 0.42 && c.r > c.b + 60, blue = (c) => c && c.a > 0.15 && c.a <= 0.42 && c.b > c.r + 60;
    check('inside a string the quote cell (low there, sign −1) paints warm, outside cool, in a light tint',
      ci.every(red) && co.every(blue) && inA.bg !== outA.bg,
      `inside ${JSON.stringify([inA, inB].map((x) => x && `${x.text}:${x.bg}`))} outside ${JSON.stringify([outA, outB].map((x) => x && `${x.text}:${x.bg}`))}`);

    // 2a. a long line wraps: continuation rows, no sideways scrolling
    const wrap = await frame.evaluate(() => { const sc = document.getElementById('scroller'); return { cont: document.querySelectorAll('#rows .row.cont').length, scrollWidth: sc.scrollWidth, clientWidth: sc.clientWidth }; });
    check('a long line wraps onto continuation rows, nothing to scroll sideways', wrap.cont >= 2 && wrap.scrollWidth <= wrap.clientWidth + 2, JSON.stringify(wrap));

    // 2b. the same heatmap as decorations in the editor
    await frame.locator('#paint-editor').check();
    const decorated = page.locator('.editor-instance .monaco-editor .view-overlays div[class*="ced-"]');
    await decorated.first().waitFor({ timeout: 15000 });
    const decoColours = await decorated.evaluateAll((els) => [...new Set(els.map((e) => getComputedStyle(e).backgroundColor))]);
    await page.screenshot({ path: `${SHOTS}/cells-01b-editor-decorations.png` });
    check('Paint in editor: the editor shows the same colours', decoColours.some((c) => /232, 72, 40/.test(c)) && decoColours.some((c) => /38, 110, 220/.test(c)), decoColours.slice(0, 4).join(' '));
    // a background tint only: the editor's syntax colours stay (the string token keeps its own colour)
    const tokenColours = await page.locator('.editor-instance .monaco-editor .view-lines span[class*="mtk"]').evaluateAll((els) => [...new Set(els.map((e) => getComputedStyle(e).color))]);
    check('Paint in editor keeps the syntax colours', tokenColours.length >= 3, tokenColours.join(' '));
    await frame.locator('#paint-editor').uncheck();

    // 3. hover: the value and five guesses
    await frame.locator(`#rows span.ch[data-i="${insideAt[0]}"]`).hover();
    await frame.locator('#tip:not([hidden]) #tip-guesses li').nth(4).waitFor({ timeout: 15000 });
    const tipText = (await frame.locator('#tip').innerText()).replace(/\s+/g, ' ');
    await page.screenshot({ path: `${SHOTS}/cells-02-hover.png` });
    check('hover shows the value and five next-character guesses', /tanh\(c\) = -?0\.\d+/.test(tipText) && (await frame.locator('#tip-guesses li').count()) === 5, tipText.slice(0, 140));

    // 3b. clicking a character moves the editor there and lists the cells most active at it
    const clickAt = STRINGS.indexOf('another');
    await frame.locator(`#rows span.ch[data-i="${clickAt}"]`).click();
    await frame.locator('#active:not([hidden]) #active-list li').first().waitFor({ timeout: 30000 });
    const atClick = await frame.evaluate(() => ({ title: document.getElementById('active-title').textContent, n: document.querySelectorAll('#active-list li').length }));
    await page.screenshot({ path: `${SHOTS}/cells-02b-click.png` });
    // the status bar shows the cursor of the focused editor: focus it (the cursor stays where it is)
    await page.keyboard.press('Control+1');
    const lineCol = page.locator('.statusbar-item', { hasText: /Ln 5, Col 18/ }).first();
    const moved = await lineCol.waitFor({ timeout: 15000 }).then(() => true, () => false);
    check('clicking a character moves the editor there (Ln 5, Col 18) and lists the cells most active at it', moved && atClick.n === 10 && /most active at “a”/.test(atClick.title), JSON.stringify(atClick));

    // 3c. select to find: a selection in the editor lists the cells most selectively active in it
    await page.keyboard.press('Control+1');
    await page.waitForTimeout(200);
    await page.keyboard.press('Control+Home');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Shift+End');
    await frame.waitForFunction(() => /in the selection/.test(document.getElementById('active-title').textContent || ''), null, { timeout: 30000 });
    const atSel = await frame.evaluate(() => ({ title: document.getElementById('active-title').textContent, keys: [...document.querySelectorAll('#active-list li')].map((l) => l.dataset.key) }));
    await page.screenshot({ path: `${SHOTS}/cells-02c-selection.png` });
    check('a selection in the editor lists the cells most selectively active in it', atSel.keys.length === 10 && /\(\d+ characters\)/.test(atSel.title), JSON.stringify(atSel).slice(0, 200));

    // 4. the gate-saturation view
    await frame.locator('#tab-gates').click();
    await frame.locator('canvas.gate-plot[data-points]').first().waitFor({ timeout: 30000 });
    const points = await frame.locator('canvas.gate-plot').evaluateAll((cs) => cs.map((c) => Number(c.dataset.points)));
    await page.screenshot({ path: `${SHOTS}/cells-03-gates.png` });
    check('gate saturation: one plot per layer, a point per gate and unit', points.length === 2 && points.every((p) => p === 3 * 16), JSON.stringify(points));
    await frame.locator('#tab-heatmap').click();

    // 5. source text that looks like markup stays text
    const scriptsBefore = await frame.evaluate(() => document.querySelectorAll('script').length);
    await openFile(page, 'cells-nasty.js');
    const nasty = [...NASTY];
    await frame.waitForFunction((n) => Number(document.body.dataset.exactUpTo) >= n, nasty.length, { timeout: 60000 });
    await page.waitForTimeout(300);
    const dom = await frame.evaluate(() => ({
      // a wrapped line continues on rows of class "cont"
      text: [...document.querySelectorAll('#rows .row')].map((r) => (r.classList.contains('cont') ? '' : '\n') + (r.querySelector('.code')?.textContent ?? '')).join('').slice(1),
      scripts: document.querySelectorAll('script').length,
      foreign: document.querySelectorAll('#rows img, #rows iframe, #rows style, #rows script, #rows div:not(.row)').length,
      hidden: getComputedStyle(document.body).display,
    }));
    await page.screenshot({ path: `${SHOTS}/cells-04-markup-as-text.png` });
    const expected = NASTY.split('\n').map((l, i, all) => (i < all.length - 1 ? l + ' ' : l)).join('\n');
    check('markup in the source shows as text: no element made from it', dom.text === expected && dom.scripts === scriptsBefore && dom.foreign === 0 && dom.hidden !== 'none',
      `scripts ${dom.scripts} (before: ${scriptsBefore}), foreign elements ${dom.foreign}, text ${dom.text === expected ? 'identical' : JSON.stringify(dom.text.slice(0, 120))}`);

    // 6. no CSP violations
    const csp = run.cspViolations();
    const reported = await frame.locator('body').getAttribute('data-csp-violations');
    check('no Content-Security-Policy violations', csp.length === 0 && !reported, csp[0] ? csp[0].slice(0, 200) : '');

    completed = true;
  } catch (e) {
    await run.failed(e);
  } finally {
    await run.finish(completed);
  }
})();
