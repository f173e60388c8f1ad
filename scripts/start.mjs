// `npm start [-- FOLDER] [--port N]`: a real VS Code in the browser (code-server, bound to
// 127.0.0.1) with this extension installed from a freshly packaged .vsix, opened on FOLDER
// (default: this repository). For trying LSTM Lens without desktop VS Code. Ctrl-C stops it.
// code-server is installed into .vscode-test-tools on first use (npm registry + apt only).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const { ensureCodeServer, packageVsix, startCodeServer, TOOLS } = require('../test/harness/code-server.js');
const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const args = process.argv.slice(2);
const portArg = args.indexOf('--port');
const wantedPort = portArg >= 0 ? Number(args.splice(portArg, 2)[1]) : Number(process.env.PORT || 8080);
const folder = resolve(args[0] ?? root);
if (!existsSync(folder)) {
  console.error(`There is no folder at ${folder}.`);
  process.exit(1);
}

const portFree = (port) => new Promise((res) => {
  const s = net.createServer().once('error', () => res(false)).listen(port, '127.0.0.1', () => s.close(() => res(true)));
});

execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs')], { stdio: 'inherit' });
mkdirSync(TOOLS, { recursive: true });
const vsix = packageVsix(join(TOOLS, 'lstm-lens.vsix'));
const cs = ensureCodeServer();
const port = (await portFree(wantedPort)) ? wantedPort : 0;
// State (settings, trust decisions, the extension's workspace storage) survives restarts.
const server = await startCodeServer({ cs, vsix, folder, stateDir: join(TOOLS, 'start'), port, quiet: true });
const url = `${server.url}/?folder=${encodeURIComponent(folder)}`;
console.log(`\nVS Code with LSTM Lens is running on ${folder}:\n\n  ${url}\n\n` +
  'Open it in a browser, then Command Palette (F1) → "LSTM Lens: Train on Workspace". Ctrl-C stops the server.');

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  console.log('\nstopping code-server…');
  await server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
