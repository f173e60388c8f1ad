// A multi-root workspace, as the extension's training worker sees it (every workspace folder is a
// root of the job; driven through TrainingController as the extension host drives it): both roots
// are trained on, and each file's header names its root folder first, `==> <folder>/<path> <==`,
// the form VS Code's asRelativePath(uri, true) gives a multi-root document's path, which is the
// header completions prime with (completion-provider.ts headerFor). The extension-host harness
// opens single folders only, so the editor's half is not run here.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { bundleTrainingWorker } from './training-worker-bundle';
import { decodeNGramFile } from '../../src/complete/ngram-file';
import { ngramPathFor } from '../../src/model-files/paths';
import { TrainingController, type CorpusMessage } from '../../src/extension/training/controller';
import { loadCheckpoint } from '../../src/model-files/checkpoint-file';
import type { TrainJob } from '../../src/training/protocol';


describe('a multi-root workspace (training worker)', function () {
  this.timeout(60_000);
  let tmp: string, workerPath: string;
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lstm-lens-multiroot-'));
    workerPath = await bundleTrainingWorker(tmp);
  });
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it('trains on both roots, and names each file by its root folder in its header', async () => {
    const write = (rel: string, text: string) => { fs.mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true }); fs.writeFileSync(path.join(tmp, rel), text); };
    const ts = (i: number) => `// § alpha file ${i}\nexport function add${i}(a: number, b: number): number {\n  return a + b;\n}\n`;
    const py = (i: number) => `# ¤ beta file ${i}\ndef mul${i}(a, b):\n    return a * b\n`;
    for (let i = 0; i < 6; i++) { write(`alpha/src/a${i}.ts`, ts(i).repeat(4)); write(`beta/lib/b${i}.py`, py(i).repeat(5)); }
    const ck = path.join(tmp, 'store', 'model.safetensors');
    fs.mkdirSync(path.dirname(ck), { recursive: true });
    const job: TrainJob = {
      kind: 'train', checkpointPath: ck, budgetMs: 1500, saveEveryMs: 1000, evalEveryMs: 500, sampleEveryMs: 800, progressEveryMs: 100,
      corpus: { roots: [path.join(tmp, 'alpha'), path.join(tmp, 'beta')], include: [], extraIgnore: [], maxFileBytes: 1 << 20, maxTotalBytes: 8 << 20, valFraction: 0.2, seed: 1 },
      settings: { cell: 'lstm', layers: 1, hidden: 16, dropout: 0, seqLength: 16, batchSize: 4, optimizer: 'adam', learningRate: 0.01, threads: 1, seed: 1 },
    };
    const c = new TrainingController({ workerPath, stopTimeoutMs: 10_000 });
    let corpus: CorpusMessage | undefined;
    c.on('corpus', (m: CorpusMessage) => { corpus = m; });
    const o = await c.start(job);
    assert.equal(o.kind, 'done', JSON.stringify(o));
    assert.equal(corpus?.files, 12, 'the files of both roots');
    assert.ok(corpus!.valFiles >= 1 && corpus!.trainFiles >= 10);
    const saved = loadCheckpoint(ck);
    for (const ch of ['§', '¤']) assert.ok(saved.vocab.includes(ch), `${ch} (only in one root) is in the vocabulary`);
    const ngram = decodeNGramFile(fs.readFileSync(ngramPathFor(ck)));
    assert.deepEqual([...ngram.extensions].sort(), ['.py', '.ts']);
    // the held-out files (scored by completions' calibration) with their headers
    assert.ok(ngram.calibration.files.length >= 1);
    for (const [i, f] of ngram.calibration.files.entries()) {
      assert.match(f, /^(alpha\/src\/a\d\.ts|beta\/lib\/b\d\.py)$/, 'a path relative to its root, the root folder first');
      assert.ok(ngram.calibration.streams[i].startsWith(`==> ${f} <==\n`), JSON.stringify(ngram.calibration.streams[i].slice(0, 40)));
    }
  });
});
