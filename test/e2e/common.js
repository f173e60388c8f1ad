// What the browser e2e scripts share: where screenshots go, which Chromium runs, the PASS/FAIL
// log whose counts make the closing `e2e: N passed, N failed, 0 skipped` line, and the frame of a run (dist
// checked, a temp folder, headless Chromium with its console kept, the report at the end).
const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');
const { ROOT, tempDir } = require('../harness/code-server');

const SHOTS = path.join(ROOT, 'shots');
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const results = [];
function check(name, ok, detail = '') {
  results.push({ name, ok: !!ok });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ' - ' + detail : ''}`);
}

/** Runs a command from the palette (F1). shot: a screenshot path taken with the command picked;
 *  arg: a path typed into the simple file dialog that the command opens. */
async function runCommand(page, title, { shot, arg } = {}) {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget .quick-input-box input');
  await input.waitFor({ state: 'visible', timeout: 15000 });
  await input.fill('>' + title);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 15000 });
  if (shot) await page.screenshot({ path: shot });
  await page.keyboard.press('Enter');
  if (arg !== undefined) {
    // the simple file dialog of a remote window: a quick input holding a path
    await page.waitForTimeout(800);
    await input.waitFor({ state: 'visible', timeout: 15000 });
    await input.fill(arg);
    await page.waitForTimeout(500);
    await page.keyboard.press('Enter');
  }
}

/** One e2e script's run. `prefix` names its screenshots (shots/<prefix>*), `distFiles` are the
 *  built files it needs; without them it reports one failure and exits at once. */
class E2eRun {
  constructor(name, prefix, distFiles) {
    this.name = name;
    this.prefix = prefix;
    this.t0 = Date.now();
    this.consoleLines = [];
    this.server = undefined;
    this.context = undefined;
    fs.mkdirSync(SHOTS, { recursive: true });
    for (const f of fs.readdirSync(SHOTS)) if (f.startsWith(prefix)) fs.rmSync(path.join(SHOTS, f));
    if (!distFiles.every((f) => fs.existsSync(path.join(ROOT, 'dist', f)))) {
      console.error('dist/ is missing or stale: run `npm run build` first.');
      console.log('e2e: 0 passed, 1 failed, 0 skipped');
      process.exit(1);
    }
    this.tmp = tempDir(`lstm-lens-${name.replace(/\W+/g, '-')}-`);
  }

  /** Headless Chromium on a fresh profile; every console line and page error is kept. */
  async openBrowser(width) {
    this.context = await chromium.launchPersistentContext(path.join(this.tmp, 'chromium'), {
      executablePath: CHROMIUM, headless: true, viewport: { width, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
        '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    const page = this.context.pages()[0] || await this.context.newPage();
    page.on('console', (m) => this.consoleLines.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => this.consoleLines.push(`pageerror: ${e.message}`));
    return page;
  }

  /** Console lines that report a Content-Security-Policy violation. */
  cspViolations() {
    return this.consoleLines.filter((l) => /Content Security Policy|Refused to (apply|load|execute)/i.test(l));
  }

  /** An exception ended the script early: say where, with a screenshot and the server's log. */
  async failed(e) {
    console.error('e2e error:', e && e.stack || e);
    if (this.context) await this.context.pages()[0]?.screenshot({ path: `${SHOTS}/${this.prefix}99-error.png` }).catch(() => {});
    if (this.server) console.error(this.server.log().slice(-3000));
  }

  /** Closes everything, prints the counts and exits: 0 only when the script completed and every
   *  check passed. */
  async finish(completed) {
    const exitCode = completed && results.every((r) => r.ok) ? 0 : 1;
    if (exitCode !== 0) {
      const errors = this.consoleLines.filter((l) => /^(error|pageerror)/.test(l)).slice(0, 15);
      if (errors.length) console.log(`browser console errors:\n  ${errors.join('\n  ')}`);
    }
    if (this.context) await this.context.close().catch(() => {});
    if (this.server) await this.server.stop();
    if (!process.argv.includes('--keep')) fs.rmSync(this.tmp, { recursive: true, force: true });
    const passed = results.filter((r) => r.ok).length;
    let failed = results.length - passed;
    if (exitCode !== 0 && failed === 0) failed = 1;
    console.log(`${this.name} took ${((Date.now() - this.t0) / 1000).toFixed(1)} s; screenshots in ${path.relative(ROOT, SHOTS)}/${this.prefix}*`);
    // every check either passes or fails: the e2e has no skipped checks
    console.log(`e2e: ${passed} passed, ${failed} failed, 0 skipped`);
    process.exit(exitCode);
  }
}

module.exports = { SHOTS, CHROMIUM, results, check, runCommand, E2eRun };
