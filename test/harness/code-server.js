// Finding, installing and starting code-server (a real VS Code server + web workbench from the
// npm registry) for the browser e2e and for `npm start`. See install-code-server.sh for why it
// is installed the way it is, and the pitfalls in the harness README.
const { spawn, spawnSync } = require('child_process');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');

const ROOT = path.resolve(__dirname, '..', '..');
const TOOLS = path.join(ROOT, '.vscode-test-tools');
const CS_VERSION = process.env.CS_VERSION || '4.100.3';

/** { csDir, node, serverMain } of an installed code-server, or null. Env CS_DIR/CS_NODE win. */
function findCodeServer() {
  const fromDir = (csDir, node) => {
    const serverMain = path.join(csDir, 'lib', 'vscode', 'out', 'server-main.js');
    return fs.existsSync(path.join(csDir, 'out', 'node', 'entry.js')) && fs.existsSync(serverMain)
      ? { csDir, node: node || process.execPath, serverMain } : null;
  };
  if (process.env.CS_DIR) return fromDir(process.env.CS_DIR, process.env.CS_NODE);
  const dir = path.join(TOOLS, `code-server-${CS_VERSION}`);
  if (!fs.existsSync(path.join(dir, '.installed'))) return null;
  return fromDir(path.join(dir, 'node_modules', 'code-server'), process.env.CS_NODE);
}

/** Installs code-server into .vscode-test-tools when missing (npm registry + apt only). */
function ensureCodeServer() {
  const found = findCodeServer();
  if (found) return found;
  console.log(`installing code-server ${CS_VERSION} into ${path.relative(ROOT, TOOLS)} (1-3 min, once)`);
  const r = spawnSync('bash', [path.join(__dirname, 'install-code-server.sh'), CS_VERSION, TOOLS],
    { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  if (r.status !== 0) throw new Error('code-server could not be installed (see the messages above).');
  const last = r.stdout.trim().split('\n').pop();
  const vars = Object.fromEntries(last.split(' ').map((kv) => kv.split('=')));
  return { csDir: vars.CS_DIR, node: vars.CS_NODE, serverMain: vars.CS_SERVER_MAIN };
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on('error', reject);
  });
}

async function waitHttp(url, ms) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    try { const r = await fetch(url); if (r.status < 500) return; } catch { /* not up yet */ }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`code-server did not come up at ${url}`);
}

/** Starts code-server with `vsix` installed, on `folder`, bound to 127.0.0.1.
 *  Everything it writes (user data, extensions, XDG dirs) goes under `stateDir`.
 *  Returns { url, port, stop(), log() }; stop() ends its whole process group. */
async function startCodeServer({ cs, vsix, folder, stateDir, port, userSettings = {}, quiet = true }) {
  fs.mkdirSync(path.join(stateDir, 'user-data', 'User'), { recursive: true });
  const settingsFile = path.join(stateDir, 'user-data', 'User', 'settings.json');
  if (!fs.existsSync(settingsFile)) {
    fs.writeFileSync(settingsFile, JSON.stringify({
      'workbench.startupEditor': 'none', 'telemetry.telemetryLevel': 'off', 'chat.disableAIFeatures': true,
      'extensions.autoUpdate': false, 'extensions.autoCheckUpdates': false, 'update.mode': 'none',
      ...userSettings,
    }, null, 2));
  }
  const env = {
    ...process.env,
    XDG_CONFIG_HOME: path.join(stateDir, 'xdg', 'config'), XDG_DATA_HOME: path.join(stateDir, 'xdg', 'data'),
    XDG_CACHE_HOME: path.join(stateDir, 'xdg', 'cache'),
  };
  const base = [path.join(cs.csDir, 'out', 'node', 'entry.js'),
    '--user-data-dir', path.join(stateDir, 'user-data'), '--extensions-dir', path.join(stateDir, 'extensions'),
    '--config', path.join(stateDir, 'config.yaml')];
  if (vsix) {
    const r = spawnSync(cs.node, [...base, '--install-extension', vsix, '--force'], { env, encoding: 'utf8' });
    if (r.status !== 0 || !/successfully installed/i.test(r.stdout + r.stderr)) {
      throw new Error(`installing ${path.basename(vsix)} into code-server failed:\n${r.stdout}${r.stderr}`);
    }
  }
  port = port || await freePort();
  let log = '';
  // Own process group (detached), so stop() ends the extension host and watchers too.
  const child = spawn(cs.node, [...base, '--bind-addr', `127.0.0.1:${port}`, '--auth', 'none',
    '--disable-telemetry', '--disable-update-check', '--disable-getting-started-override',
    '--ignore-last-opened', folder], { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const onLog = (d) => { log += d; if (!quiet) process.stderr.write(d); };
  child.stdout.on('data', onLog); child.stderr.on('data', onLog);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    const group = (sig) => { try { process.kill(-child.pid, sig); } catch { /* already gone */ } };
    group('SIGTERM');
    await new Promise((r) => { if (child.exitCode !== null) return r(); child.once('exit', r); setTimeout(r, 5000); });
    group('SIGKILL');
  };
  try {
    await waitHttp(`${url}/healthz`, 60000);
  } catch (e) {
    await stop();
    throw new Error(`${e.message}\n${log.slice(-3000)}`);
  }
  return { url, port, stop, log: () => log };
}

/** A temporary folder holding the candidates for the .vsix (dist/, media/, package.json,
 *  .vscodeignore, README/LICENSE), for vsce to run in. vsce walks every file under its folder
 *  before applying .vscodeignore (node_modules and .vscode-test-tools hold ~100k files here:
 *  ~15 s), so it runs on this copy instead. The caller removes it. */
function stageVsix() {
  const stage = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-vsix-'));
  for (const name of fs.readdirSync(ROOT)) {
    if (['dist', 'media', 'package.json', '.vscodeignore'].includes(name) || /^(README|LICENSE|CHANGELOG)/i.test(name)) {
      fs.cpSync(path.join(ROOT, name), path.join(stage, name), { recursive: true });
    }
  }
  return stage;
}

/** Packages the extension (dist/ must be built) into a .vsix at `out`, with @vscode/vsce,
 *  from a staging copy (stageVsix). What goes in is decided by .vscodeignore. */
function packageVsix(out) {
  const stage = stageVsix();
  try {
    const vsce = path.join(ROOT, 'node_modules', '@vscode', 'vsce', 'vsce');
    const r = spawnSync(process.execPath, [vsce, 'package', '--no-dependencies', '--allow-missing-repository',
      '-o', path.resolve(out)], { cwd: stage, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`vsce package failed:\n${r.stdout}${r.stderr}`);
    return out;
  } finally {
    fs.rmSync(stage, { recursive: true, force: true });
  }
}

function tempDir(prefix) {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

module.exports = { ROOT, TOOLS, findCodeServer, ensureCodeServer, startCodeServer, stageVsix, packageVsix, freePort, tempDir };

// `node test/harness/code-server.js package [OUT]`: what `npm run package` runs after the build.
if (require.main === module && process.argv[2] === 'package') {
  const out = path.resolve(process.argv[3] || path.join(ROOT, 'lstm-lens.vsix'));
  packageVsix(out);
  console.log(`packaged ${path.relative(process.cwd(), out)} (${(fs.statSync(out).size / 1024).toFixed(0)} KiB)`);
}
