// Failures travel as codes with data (src/errors.ts); each interface words them in its own
// vocabulary: the CLI names flags, the editor names settings. Never the other's.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { cliMessage } from '../../src/cli/errors';
import { LensError } from '../../src/errors';
import { failureMessage } from '../../src/extension/training/failures';
import { runCli } from './cli-run';

const CLI = path.join(__dirname, '../../src/cli/main.ts');

describe('errors as codes, worded at the edge', function () {
  this.timeout(60_000);

  it('too little text: the CLI says --seq, the editor says lstmLens.sequenceLength', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-err-'));
    try {
      fs.writeFileSync(path.join(dir, 'tiny.txt'), 'hello world\n');
      const r = runCli(CLI, ['train', '--raw', path.join(dir, 'tiny.txt'), '--out', path.join(dir, 'm.safetensors'), '--steps', '1', '--hidden', '8']);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, /^lstm-lens: There are 12 characters of training text, too few for one sequence of 64\. Give more files, or a shorter --seq\.\n$/);
      assert.doesNotMatch(r.stderr, /lstmLens\./);
      assert.equal(fs.existsSync(path.join(dir, 'm.safetensors')), false, 'nothing was written');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
    const editor = failureMessage('too-little-text', 'There are 12 characters of training text, too few for one sequence of 64.');
    assert.match(editor, /lstmLens\.sequenceLength/);
    assert.doesNotMatch(editor, /--seq/);
  });

  it('divergence: the CLI says --lr, the editor says lstmLens.learningRate', () => {
    const e = new LensError({ code: 'diverged', rollbacks: 3 }, 'Training diverged (the loss became NaN) 3 times even after lowering the learning rate.');
    assert.match(cliMessage(e), /Try a smaller --lr\.$/);
    const editor = failureMessage(e.code, e.message);
    assert.match(editor, /lstmLens\.learningRate/);
    assert.doesNotMatch(editor, /--lr/);
  });
});
