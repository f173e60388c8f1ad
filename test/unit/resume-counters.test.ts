// A model resumed without its optimizer state (imported, or its sidecar lost) goes on counting
// from its own progress: steps, characters seen and the learning-rate schedule are the model's.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeCheckpoint } from '../../src/engine/checkpoint';
import { trainingStatePath } from '../../src/model-files/paths';
import { runCli } from './cli-run';

const CLI = path.join(__dirname, '../../dist/cli.js');   // built by npm test before the unit tests
const SMALL = ['--layers', '1', '--hidden', '16', '--seq', '16', '--batch', '4', '--seed', '3'];

describe('resuming a model without its optimizer state', function () {
  this.timeout(60_000);
  it('counts steps and characters on from the checkpoint, with a learning rate inside the schedule', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-resume-'));
    try {
      fs.writeFileSync(path.join(dir, 'a.txt'), 'function add(a, b) { return a + b; }\n'.repeat(30));
      const out = path.join(dir, 'm.safetensors');
      assert.equal(runCli(CLI, ['train', '--raw', path.join(dir, 'a.txt'), '--out', out, '--steps', '10', ...SMALL]).code, 0);
      const first = decodeCheckpoint(fs.readFileSync(out)).training;
      fs.rmSync(trainingStatePath(out));   // as after Import Model: the checkpoint alone
      const r = runCli(CLI, ['train', '--raw', path.join(dir, 'a.txt'), '--out', out, '--resume', '--steps', '25', '--json']);
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { step: number; chars: number; chars_per_s: number; lr: number });
      for (const l of lines) {
        assert.ok(l.step > 10 && l.step <= 25, `step ${l.step} counts on from 10`);
        assert.ok(l.chars > first.charsSeen && l.chars_per_s >= 0 && l.lr > 0, JSON.stringify(l));
      }
      const after = decodeCheckpoint(fs.readFileSync(out)).training;
      assert.equal(after.steps, 25);
      assert.ok(after.charsSeen > first.charsSeen);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
