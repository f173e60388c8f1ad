// "Nothing leaves the machine": the CLI trains (on two threads: worker threads too), evaluates,
// samples, completes and finds cells with every outbound connection refused and recorded by a
// preload (test/fixtures/no-network/guard.cjs, through NODE_OPTIONS=--require, which reaches
// worker threads as well), and the record stays empty. The guard itself is checked first: it
// refuses and records each way out (before anything is sent), lets loopback through, and loads
// in worker threads.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const CLI = resolve(__dirname, '../../dist/cli.js');
const GUARD = resolve(__dirname, '../fixtures/no-network/guard.cjs');

interface Guarded { code: number | null; stdout: string; stderr: string; refused: { api: string; target: string }[]; threads: { mainThread: boolean }[] }

function lines(file: string): unknown[] {
  return existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l)) : [];
}

/** node <args> with the guard preloaded through NODE_OPTIONS; what it refused, which threads loaded it. */
function guarded(dir: string, args: string[], input?: string): Guarded {
  const log = join(dir, `net-${Math.random().toString(36).slice(2)}.log`);
  const r = spawnSync(process.execPath, args, {
    cwd: dir, input, encoding: 'utf8', timeout: 120_000,
    env: { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --require ${GUARD}`.trim(), LSTM_LENS_NET_LOG: log },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, refused: lines(log) as Guarded['refused'], threads: lines(`${log}.threads`) as Guarded['threads'] };
}

describe('nothing leaves the machine', function () {
  this.timeout(120_000);
  let dir: string;
  before(() => {
    if (!existsSync(CLI)) throw new Error('dist/cli.js is missing: run `npm run build` first.');
    dir = mkdtempSync(join(tmpdir(), 'lstm-lens-no-net-'));
    const src = join(dir, 'src');
    mkdirSync(src);
    const code = 'function add(a, b) {\n  // add two numbers\n  return a + b;\n}\nconst s = "hello";\n';
    for (let i = 0; i < 6; i++) writeFileSync(join(src, `f${i}.js`), code.repeat(8) + `// file ${i}\n`);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('the guard refuses and records every way out, lets loopback through, and loads in worker threads', () => {
    // .invalid never resolves (RFC 6761); the guard refuses before any look-up or packet anyway
    const probe = join(dir, 'probe.cjs');
    writeFileSync(probe, `
      const net = require('node:net'), dns = require('node:dns'), http = require('node:http'), https = require('node:https'), tls = require('node:tls'), dgram = require('node:dgram');
      const { Worker } = require('node:worker_threads');
      const tries = {
        'net.connect': () => net.connect(80, 'example.invalid'),
        'net.createConnection': () => net.createConnection({ host: 'example.invalid', port: 80 }),
        'net.Socket.connect': () => new net.Socket().connect(80, 'example.invalid'),
        'tls.connect': () => tls.connect(443, 'example.invalid'),
        'dns.lookup': () => dns.lookup('example.invalid', () => {}),
        'dns.promises.lookup': () => dns.promises.lookup('example.invalid'),
        'dns.resolve4': () => dns.resolve4('example.invalid', () => {}),
        'http.get': () => http.get('http://example.invalid/'),
        'https.request': () => https.request({ hostname: 'example.invalid', path: '/' }),
        'dgram.send': () => dgram.createSocket('udp4').send('x', 53, 'example.invalid'),
      };
      const refused = [];
      for (const [name, f] of Object.entries(tries)) { try { f(); } catch (e) { if (/no-network guard/.test(e.message)) refused.push(name); } }
      (async () => {
        try { await fetch('https://example.invalid/'); } catch (e) { if (/no-network guard/.test(e.message)) refused.push('fetch'); }
        // loopback goes through
        const server = net.createServer((s) => s.end('hi')).listen(0, '127.0.0.1');
        await new Promise((r) => server.once('listening', r));
        const got = await new Promise((res, rej) => { const c = net.connect(server.address().port, '127.0.0.1'); let d = ''; c.on('data', (x) => d += x); c.on('end', () => res(d)); c.on('error', rej); });
        server.close();
        await new Promise((r) => new Worker('1', { eval: true }).on('exit', r));
        console.log(JSON.stringify({ refused, loopback: got }));
      })();`);
    const r = guarded(dir, [probe]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    const ways = ['net.connect', 'net.createConnection', 'net.Socket.connect', 'tls.connect', 'dns.lookup', 'dns.promises.lookup', 'dns.resolve4', 'http.get', 'https.request', 'dgram.send', 'fetch'];
    assert.deepEqual(out.refused.sort(), ways.sort());
    assert.equal(out.loopback, 'hi');
    assert.ok(r.refused.length >= ways.length, 'each refusal is recorded');
    assert.ok(r.refused.every((x) => x.target === 'example.invalid'), JSON.stringify(r.refused));
    assert.ok(r.threads.some((t) => t.mainThread) && r.threads.some((t) => !t.mainThread), 'the guard loads in the main thread and in a worker');
  });

  it('train (two threads), eval, sample, complete and cells use no network', () => {
    const model = join(dir, 'model.safetensors');
    const small = ['--layers', '1', '--hidden', '16', '--seq', '16', '--batch', '4', '--seed', '3'];
    const runs: [string, Guarded][] = [
      ['train', guarded(dir, [CLI, 'train', 'src', '--out', model, '--steps', '40', '--threads', '2', ...small])],
      ['eval', guarded(dir, [CLI, 'eval', '--model', model, 'src', '--mixture', '--json'])],
      ['sample', guarded(dir, [CLI, 'sample', '--model', model, '--prime', 'function ', '--length', '40'])],
      ['complete', guarded(dir, [CLI, 'complete', '--model', model], '{"id":1,"context":"function add(a, b) {\\n  ret","max_chars":20}\n')],
      ['cells', guarded(dir, [CLI, 'cells', '--model', model, 'src', '--json'])],
    ];
    for (const [name, r] of runs) {
      assert.equal(r.code, 0, `${name}: ${r.stderr}`);
      assert.deepEqual(r.refused, [], `${name} tried to reach the network: ${JSON.stringify(r.refused)}`);
      assert.ok(r.threads.some((t) => t.mainThread), `${name} ran with the guard loaded`);
    }
    const train = runs[0][1];
    assert.match(train.stderr, /Training on 2 threads/);
    assert.ok(train.threads.some((t) => !t.mainThread), 'the training worker threads ran with the guard too');
    assert.equal(JSON.parse(runs[3][1].stdout.trim().split('\n')[0]).id, 1, 'complete answered');
  });
});
