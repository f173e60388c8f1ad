// `lstm-lens train` ends by saying what the user has and what to do with it next.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from './cli-run';

const CLI = path.join(__dirname, '../../dist/cli.js');   // built by npm test before the unit tests

describe('lstm-lens train: what next', function () {
  this.timeout(60_000);
  it('names the model and the commands that use it (sample, eval, cells, VS Code); --json keeps stderr to progress', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-next-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.txt'), 'function add(a, b) { return a + b; }\n'.repeat(20));
      const r = runCli(CLI, ['train', '--raw', 'a.txt', '--out', 'm.safetensors', '--steps', '2', '--hidden', '8', '--seq', '16'], { cwd: dir });
      assert.equal(r.code, 0, r.stderr);
      const tail = r.stderr.slice(r.stderr.indexOf('Done after'));
      assert.match(tail, /^Done after 2 steps; saved m\.safetensors\nNext:\n/);
      assert.match(tail, /node \S*dist\/cli\.js sample/, 'the command as the user can type it');
      for (const cmd of ['sample --model m.safetensors', 'eval --model m.safetensors', 'cells --model m.safetensors', 'Import Model']) {
        assert.ok(tail.includes(cmd), `mentions ${cmd}:\n${tail}`);
      }
      const j = runCli(CLI, ['train', '--raw', 'a.txt', '--out', 'm2.safetensors', '--steps', '2', '--hidden', '8', '--seq', '16', '--json'], { cwd: dir });
      assert.equal(j.code, 0, j.stderr);
      assert.doesNotMatch(j.stderr, /Next:/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
