// What the browser e2e scripts share: where screenshots go, which Chromium runs, and the
// PASS/FAIL log whose counts make the closing `e2e: N passed, N failed` line.
const path = require('path');
const { ROOT } = require('../harness/code-server');

const SHOTS = path.join(ROOT, 'shots');
const CHROMIUM = process.env.E2E_CHROMIUM || '/usr/bin/chromium';
const results = [];
function check(name, ok, detail = '') {
  results.push({ name, ok: !!ok });
  console.log(`${ok ? 'PASS' : 'FAIL'} ${name}${detail ? ' - ' + detail : ''}`);
}

module.exports = { SHOTS, CHROMIUM, results, check };
