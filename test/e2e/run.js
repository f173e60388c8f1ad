#!/usr/bin/env node
// Browser e2e: the packaged .vsix installed into code-server (a real VS Code in the browser),
// driven through headless Chromium with playwright-core, as a user would:
//   the command palette runs "LSTM Lens: Train on Workspace"; the progress notification and the
//   status bar show the run; a click on the status bar opens the Training panel, where the chart
//   gets drawn (the canvas has pixels other than its background) and a sample appears; the
//   panel's buttons (Stop, Train, Generate Sample) do what they say and are enabled only when they
//   can; the panel lists the files trained on, held out and skipped (a file name of markup shown
//   as text); Train over the stored model asks, in a dialog, whether to continue it or train a new
//   one; the progress notification's Cancel stops a run; Generate Sample works from the palette;
//   ghost completions: Tab accepts one, after `if (` (VS Code closes the bracket itself) the
//   accepted ghost leaves no ) over, with the suggest widget open the ghost continues its selected
//   item, after Backspace none is offered; the settings come in titled sections under "LSTM Lens";
//   no Content-Security-Policy violation reaches the console. Screenshots of each step go to shots/ (gitignored).
//
// usage: node test/e2e/run.js [--keep]      (dist/ must be built; code-server is installed
//        into .vscode-test-tools when missing)   env: E2E_CHROMIUM=/usr/bin/chromium
// Prints `e2e: N passed, N failed, 0 skipped` last; exit code 0 only when all passed.
const fs = require('fs');
const path = require('path');
const { ROOT, ensureCodeServer, packageVsix, startCodeServer } = require('../harness/code-server');

const { SHOTS, check, runCommand, E2eRun } = require('./common');

(async () => {
  const run = new E2eRun('e2e', 'e2e-', ['extension.js']);
  const tmp = run.tmp;
  let completed = false;
  try {
    const cs = ensureCodeServer();
    const vsix = packageVsix(path.join(tmp, 'lstm-lens.vsix'));
    check('npm run package equivalent: vsce packs a .vsix', fs.statSync(vsix).size > 10_000, `${(fs.statSync(vsix).size / 1024).toFixed(0)} KiB`);
    const ws = path.join(tmp, 'ws');
    fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'ws'), ws, { recursive: true });
    // a file whose name is markup: the Training panel's file list must show it as text
    const ODD_NAME = '<img id="injected" src="x"> & "q".ts';
    fs.writeFileSync(path.join(ws, 'src', ODD_NAME), 'export const odd = 1;\n');
    // A longer budget than the extension-host tests: the chart needs a few points, the panel a sample.
    const settingsFile = path.join(ws, '.vscode', 'settings.json');
    fs.writeFileSync(settingsFile, fs.readFileSync(settingsFile, 'utf8').replace(/"lstmLens.timeBudgetMinutes": [\d.]+/, '"lstmLens.timeBudgetMinutes": 1')
      // the fixture model is tiny and barely trained: show its completions however unsure it is
      .replace(/\n}\s*$/, ',\n  "lstmLens.completions.threshold": 1000\n}\n'));
    run.server = await startCodeServer({
      cs, vsix, folder: ws, stateDir: path.join(tmp, 'cs'),
      userSettings: { 'security.workspace.trust.enabled': false, 'workbench.colorTheme': 'Default Dark Modern' },
    });

    const page = await run.openBrowser(1400);

    // 1. the workbench, with our status bar item
    await page.goto(`${run.server.url}/?folder=${encodeURIComponent(ws)}`);
    await page.locator('.monaco-workbench').waitFor({ timeout: 60000 });
    const statusItem = page.locator('.statusbar-item', { hasText: 'LSTM:' }).first();
    await statusItem.waitFor({ timeout: 60000 });
    await page.screenshot({ path: `${SHOTS}/e2e-01-workbench.png` });
    check('workbench loads with the LSTM Lens status bar item', true, `${(await statusItem.innerText()).trim()} after ${Date.now() - run.t0} ms`);

    // 2. the command palette starts training: progress notification + status bar
    await runCommand(page, 'LSTM Lens: Train on Workspace', { shot: `${SHOTS}/e2e-02-palette.png` });
    const toast = page.locator('.notifications-toasts .notification-toast', { hasText: 'training:' }).first();
    await toast.waitFor({ timeout: 60000 });
    const progressBar = toast.locator('.monaco-progress-container');
    const toastText = (await toast.innerText()).replace(/\s+/g, ' ');
    const statusTraining = page.locator('.statusbar-item', { hasText: 'LSTM: training' }).first();
    await statusTraining.waitFor({ timeout: 30000 });
    await page.screenshot({ path: `${SHOTS}/e2e-03-progress.png` });
    check('progress notification visible with a progress bar', await progressBar.count() > 0 && /LSTM Lens/.test(toastText), toastText.slice(0, 120));
    check('status bar shows the training state', true, (await statusTraining.innerText()).trim());

    // 3. the status bar item opens the Training panel: chart drawn, sample shown
    await statusTraining.click();
    const inner = page.frameLocator('iframe.webview.ready').frameLocator('#active-frame');
    await inner.locator('body[data-ready="1"]').waitFor({ timeout: 30000 });
    const canvas = inner.locator('#chart');
    await inner.locator('#chart[data-points]').waitFor({ timeout: 30000 });
    await page.waitForFunction(() => true);  // let a frame pass
    const end = Date.now() + 40000;
    let points = 0;
    while (Date.now() < end && (points = Number(await canvas.getAttribute('data-points'))) < 4) await page.waitForTimeout(500);
    const sample = inner.locator('#samples .sample pre').first();
    await sample.waitFor({ timeout: 40000 });
    const sampleText = await sample.innerText();
    const pixels = await canvas.evaluate((c) => {
      const ctx = c.getContext('2d');
      const { data } = ctx.getImageData(0, 0, c.width, c.height);
      const bg = [data[0], data[1], data[2], data[3]];
      let differ = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1]) + Math.abs(data[i + 2] - bg[2]) + Math.abs(data[i + 3] - bg[3]) > 24) differ++;
      }
      return { differ, total: data.length / 4, bg };
    });
    const statusLines = await inner.locator('#status-lines li').allInnerTexts();
    await page.screenshot({ path: `${SHOTS}/e2e-04-training-panel.png` });
    check('training panel: chart drawn on the canvas', points >= 4 && pixels.differ > 1000,
      `${points} points, ${pixels.differ} of ${pixels.total} pixels differ from the background rgba(${pixels.bg})`);
    check('training panel: a sample is shown', sampleText.trim().length > 0, JSON.stringify(sampleText.slice(0, 60)));
    check('training panel: run numbers listed', statusLines.some((l) => /Validation: \d/.test(l)), statusLines.slice(0, 3).join(' | '));
    // the run's files: trained on, held out, skipped (and why), each name as text
    const groups = await inner.locator('#files details summary').allInnerTexts();
    await inner.locator('#files details.file-group-skipped').evaluate((d) => { d.open = true; });
    await inner.locator('#files details.file-group-train').evaluate((d) => { d.open = true; });
    const fileNames = await inner.locator('#files code').allInnerTexts();
    const skippedNotes = await inner.locator('#files details.file-group-skipped li').allInnerTexts();
    await inner.locator('#files').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SHOTS}/e2e-04b-training-files.png` });
    check('training panel: the files trained on, held out and skipped are listed',
      /^Trained on \d+ files \(TypeScript/.test(groups[0] ?? '') && /^Held out for validation: 1 file/.test(groups[1] ?? '') && /^Skipped: .*1 binary file/.test(groups[2] ?? ''),
      groups.join(' | '));
    check('training panel: a skipped file says why', skippedNotes.some((l) => /logo\.dat\s+binary/.test(l)), skippedNotes.join(' | '));
    check('training panel: a file name of markup is shown as text, not made into markup',
      fileNames.includes(`src/${ODD_NAME}`) && await inner.locator('#injected').count() === 0, fileNames.filter((n) => /injected/.test(n)).join(' | '));

    // 4. the panel's buttons: Stop stops the run, Train starts one, Generate Sample opens a sample
    const button = (id) => inner.locator(`#${id}`);
    check('training panel: while training, Train is disabled and Stop enabled',
      await button('btn-train').isDisabled() && await button('btn-stop').isEnabled(), '');
    await button('btn-stop').click();
    const stopped = page.locator('.statusbar-item', { hasText: 'LSTM: stopped' }).first();
    await stopped.waitFor({ timeout: 30000 });
    await inner.locator('#state', { hasText: 'stopped' }).waitFor({ timeout: 10000 });
    const panelState = await inner.locator('#state').innerText();
    await page.screenshot({ path: `${SHOTS}/e2e-05-stopped.png` });
    check('the panel\'s Stop button stops training: status bar and panel say stopped', /stopped/.test(panelState), `${(await stopped.innerText()).trim()}; panel: ${panelState}`);
    check('training panel: once stopped, Train is enabled and Stop disabled',
      await button('btn-train').isEnabled() && await button('btn-stop').isDisabled(), '');
    await button('btn-train').click();
    // a model is stored: Train asks whether to continue it or train a new one, saying what each does
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 15000 });
    const dialogText = (await dialog.innerText()).replace(/\s+/g, ' ');
    await page.screenshot({ path: `${SHOTS}/e2e-05b-continue-or-new.png` });
    check('Train over a stored model asks: continue it or train a new one, with the consequences',
      /Continue training it, or train a new model\?/.test(dialogText) && /vocabulary, size and settings are kept/.test(dialogText) && /is kept, as previous-/.test(dialogText),
      dialogText.slice(0, 160));
    await dialog.locator('.monaco-button', { hasText: /^Continue Training$/ }).click();
    await page.locator('.statusbar-item', { hasText: 'LSTM: training' }).first().waitFor({ timeout: 30000 });
    await inner.locator('#state', { hasText: 'training' }).waitFor({ timeout: 10000 });
    check('the panel\'s Train button starts a run (the stored model continued)', true, (await inner.locator('#state').innerText()).trim());
    // the progress notification's Cancel stops the run, saving first
    const running = page.locator('.notifications-toasts .notification-toast', { hasText: 'training:' }).first();
    await running.waitFor({ timeout: 30000 });
    await running.hover();
    await running.locator('.monaco-button', { hasText: 'Cancel' }).click();
    await stopped.waitFor({ timeout: 30000 });
    const stoppedToast = page.locator('.notifications-toasts .notification-toast', { hasText: /stopped training|the model kept is/ }).first();
    await stoppedToast.waitFor({ timeout: 15000 });
    check('the progress notification\'s Cancel stops the run and says what was kept', true, (await stoppedToast.innerText()).replace(/\s+/g, ' ').slice(0, 140));
    // 5. no CSP violations anywhere (the page's console, and the panel's own listener) while the panel was up
    const csp = run.cspViolations();
    const reported = await inner.locator('body').getAttribute('data-csp-violations');
    check('no Content-Security-Policy violations', csp.length === 0 && !reported, csp[0] ? csp[0].slice(0, 200) : '');

    // the panel's Generate Sample button (it opens an editor over the panel: last of the panel's checks)
    await button('btn-sample').click();
    const sampleTab = page.locator('.tabs-container .tab', { hasText: 'Untitled' }).first();
    await sampleTab.waitFor({ timeout: 30000 });
    const sampleEditorText = (await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
    check('the panel\'s Generate Sample button opens an untitled editor with text', sampleEditorText.trim().length > 20, JSON.stringify(sampleEditorText.slice(0, 60)));

    // 6. Generate Sample opens an untitled editor with text
    const untitledTabs = page.locator('.tabs-container .tab', { hasText: 'Untitled' });
    const untitledBefore = await untitledTabs.count();
    await runCommand(page, 'LSTM Lens: Generate Sample');
    await untitledTabs.nth(untitledBefore).waitFor({ timeout: 30000 });   // a new one, besides the panel button's
    const editorText = (await page.locator('.editor-instance .monaco-editor .view-lines').first().innerText()).replace(/\u00a0/g, ' ');
    await page.screenshot({ path: `${SHOTS}/e2e-06-sample-editor.png` });
    check('Generate Sample opens an untitled editor with text', editorText.trim().length > 20, JSON.stringify(editorText.slice(0, 60)));

    // 7. Ghost completions: typing in a source file shows ghost text that Tab accepts
    await page.keyboard.press('Control+P');
    const quickOpen = page.locator('.quick-input-widget .quick-input-box input');
    await quickOpen.waitFor({ state: 'visible', timeout: 15000 });
    await quickOpen.fill('stack.ts');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'stack.ts' }).first().waitFor({ timeout: 15000 });
    await page.keyboard.press('Enter');
    await page.locator('.tabs-container .tab', { hasText: 'stack.ts' }).first().waitFor({ timeout: 15000 });
    await page.locator('.editor-instance .monaco-editor .view-lines').first().click();
    await page.keyboard.press('Control+End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('export function ', { delay: 30 });
    const ghost = page.locator('span.ghost-text-decoration, .ghost-text-decoration');
    let ghostText = '';
    for (let i = 0; i < 20 && !ghostText; i++) {
      await page.keyboard.press('Alt+Backslash');   // editor.action.inlineSuggest.trigger
      await ghost.first().waitFor({ timeout: 3000 }).catch(() => {});
      if (await ghost.count() > 0) ghostText = (await ghost.first().innerText()).replace(/\u00a0/g, ' ');
    }
    await page.screenshot({ path: `${SHOTS}/e2e-07-ghost-text.png` });
    check('typing shows a ghost completion (span.ghost-text-decoration)', ghostText.length > 0, JSON.stringify(ghostText.slice(0, 40)));
    if (ghostText) {
      await page.keyboard.press('Tab');
      await page.waitForTimeout(500);
      const line = (await page.locator('.editor-instance .monaco-editor .view-line', { hasText: 'export function ' }).last().innerText()).replace(/\u00a0/g, ' ');
      check('Tab accepts the ghost completion', line.startsWith('export function ') && line.length > 'export function '.length, JSON.stringify(line.slice(0, 60)));
    }

    // 8. After `if (` VS Code closes the bracket itself; the ghost over it reads right once accepted
    const editorLines = page.locator('.editor-instance .monaco-editor .view-line');
    // the document's line, without the ghost text shown in it
    const lineWith = async (text) => (await editorLines.filter({ hasText: text }).last().evaluate((el) => {
      const copy = el.cloneNode(true);
      copy.querySelectorAll('.ghost-text-decoration, .ghost-text-decoration-preview, .ghost-text').forEach((g) => g.remove());
      return copy.textContent;
    })).replace(/\u00a0/g, ' ');
    // all the ghost text shown (VS Code draws its parts in spans of several ghost-text classes)
    const ghostNow = async () => (await page.evaluate(() => [...document.querySelectorAll('.editor-instance [class*="ghost-text"]')]
      .filter((el) => !el.parentElement?.closest('[class*="ghost-text"]')).map((el) => el.textContent).join(''))).replace(/\u00a0/g, ' ');
    const triggerGhost = async () => {
      let text = '';
      for (let i = 0; i < 20 && !text; i++) {
        await page.keyboard.press('Alt+Backslash');
        await ghost.first().waitFor({ timeout: 3000 }).catch(() => {});
        text = await ghostNow();
      }
      return text;
    };
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('function check(capacity: number) {', { delay: 30 });
    await page.keyboard.press('Enter');
    await page.keyboard.type('if (', { delay: 60 });
    const openLine = await lineWith('if (');
    check('typing `if (` VS Code closes the bracket itself', /if \(\)\s*$/.test(openLine), JSON.stringify(openLine));
    const closeGhost = await triggerGhost();
    await page.screenshot({ path: `${SHOTS}/e2e-08-ghost-autoclosed.png` });
    check('a ghost completion after `if (`', closeGhost.length > 0, JSON.stringify(closeGhost));
    if (closeGhost) {
      await page.keyboard.press('Tab');
      await page.waitForTimeout(500);
      const line = (await lineWith('if (')).trimEnd();
      let depth = 0, stray = false;
      for (const ch of line) { depth += ch === '(' ? 1 : ch === ')' ? -1 : 0; if (depth < 0) stray = true; }
      await page.screenshot({ path: `${SHOTS}/e2e-09-accepted-autoclosed.png` });
      check('accepted over the auto-closed ), the line has no ) left over', !stray && line.length > 'if ()'.length + 4, JSON.stringify(line));
    }

    // 9. With the suggest widget open, the ghost continues its selected item
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('if (capa', { delay: 60 });
    const suggest = page.locator('.editor-widget.suggest-widget.visible');
    await page.keyboard.press('Control+Space');
    await suggest.waitFor({ timeout: 10000 }).catch(() => {});
    // the selected item (the first row: the widget selects it when it opens), once the language
    // service has filled the list, and the ghost shown with it
    let label = '', suggestGhost = '';
    for (let i = 0; i < 40 && !(label.startsWith('capa') && suggestGhost); i++) {
      await page.waitForTimeout(300);
      const row = suggest.locator('.monaco-list-row').first();
      label = (await row.count()) > 0 ? (/\S+/.exec(await row.innerText()) ?? [''])[0] : '';
      suggestGhost = await ghostNow();
    }
    const widgetOpen = (await suggest.count()) > 0;
    await page.screenshot({ path: `${SHOTS}/e2e-10-suggest-widget-ghost.png` });
    check('with the suggest widget open, a ghost completion appears that continues its selected item',
      widgetOpen && label.startsWith('capa') && suggestGhost.startsWith(label.slice('capa'.length)) && suggestGhost.length > label.length - 'capa'.length,
      `widget ${widgetOpen ? 'open' : 'closed'}, selected ${JSON.stringify(label)}, ghost ${JSON.stringify(suggestGhost)}`);
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');

    // 10. Backspace: no ghost
    await page.keyboard.press('End');
    await page.keyboard.press('Enter');
    await page.keyboard.type('const size = capacity', { delay: 60 });
    await page.waitForTimeout(1000);
    await page.keyboard.press('Backspace');
    await page.waitForTimeout(1500);
    const afterBackspace = await ghostNow();
    await page.screenshot({ path: `${SHOTS}/e2e-11-after-backspace.png` });
    check('after Backspace no ghost completion is offered', afterBackspace === '', JSON.stringify(afterBackspace));

    // 11. the settings: titled sections (Model, Training, Training Files, Completions) under LSTM Lens
    await runCommand(page, 'Preferences: Open Settings (UI)');
    const search = page.locator('.settings-editor .suggest-input-container textarea, .settings-editor .search-container textarea').first();
    await search.waitFor({ timeout: 15000 });
    await search.fill('@ext:lstm-lens.lstm-lens');
    await page.waitForTimeout(1500);
    const toc = (await page.locator('.settings-editor .settings-toc-container').innerText()).split('\n').map((l) => l.trim()).filter(Boolean);
    const optimizer = page.locator('.settings-editor .setting-item', { hasText: 'Optimizer' }).first();
    await optimizer.scrollIntoViewIfNeeded();
    await optimizer.locator('.monaco-select-box').click();
    const adamHelp = (await page.locator('.select-box-details-pane').first().innerText().catch(() => '')).replace(/\s+/g, ' ');
    await page.screenshot({ path: `${SHOTS}/e2e-08-settings.png` });
    await page.keyboard.press('Escape');
    // (search results title each setting by its whole key, "Lstm Lens › Completions: Enabled": VS Code's way, not ours)
    check('settings: sections Model, Training, Training Files and Completions under LSTM Lens',
      ['LSTM Lens', 'Model', 'Training', 'Training Files', 'Completions'].every((t) => toc.includes(t)), toc.join(' | '));
    // the table of contents without a search: the extension's sections, each setting titled without the "Lstm Lens:" of its key
    await page.locator('.settings-editor .suggest-input-container').first().click();
    await page.keyboard.press('Control+A');
    await page.keyboard.press('Backspace');
    await page.locator('.settings-editor .settings-toc-container .monaco-list-row', { hasText: /^Commonly Used/ }).first().waitFor({ timeout: 15000 });
    await page.waitForTimeout(800);
    const tocRow = (name) => page.locator('.settings-editor .settings-toc-container .monaco-list-row', { hasText: new RegExp(`^${name}`) }).first();
    await tocRow('Extensions').click();
    await page.keyboard.press('ArrowRight');
    await tocRow('LSTM Lens').click();
    await page.keyboard.press('ArrowRight');
    await tocRow('Model').click();
    await page.waitForTimeout(1000);
    const modelCategories = await page.locator('.settings-editor .settings-tree-container .setting-item-category').allInnerTexts();
    const modelLabels = await page.locator('.settings-editor .settings-tree-container .setting-item-label').allInnerTexts();
    await tocRow('Completions').click();
    await page.waitForTimeout(1000);
    const completionLabels = await page.locator('.settings-editor .settings-tree-container .setting-item-label').allInnerTexts();
    await page.screenshot({ path: `${SHOTS}/e2e-08b-settings-model.png` });
    check('settings: in the LSTM Lens sections, no setting is titled "Lstm Lens: …"', !modelCategories.concat(toc).some((t) => /Lstm Lens/.test(t)) && modelLabels.includes('Cell') && completionLabels.includes('Enabled'),
      modelLabels.slice(0, 4).join(' | ') + ' / ' + completionLabels.slice(0, 4).join(' | '));
    check('settings: the optimizer\'s values are described', /per-weight step sizes/.test(adamHelp), adamHelp.slice(0, 100));

    completed = true;
  } catch (e) {
    await run.failed(e);
  } finally {
    await run.finish(completed);
  }
})();
