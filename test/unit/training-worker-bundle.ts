// The training worker as the extension runs it: bundled, with grad-worker.js beside it for
// threads > 1. Shared by the suites that drive it through TrainingController (not a *.test.ts file).
import * as esbuild from 'esbuild';
import * as path from 'node:path';

const ROOT = path.join(__dirname, '..', '..');

/** Bundles the training and gradient workers into dir/dist; returns the training worker's path. */
export async function bundleTrainingWorker(dir: string): Promise<string> {
  const out = path.join(dir, 'dist');
  await esbuild.build({
    entryPoints: { 'training-worker': path.join(ROOT, 'src/training/worker.ts'), 'grad-worker': path.join(ROOT, 'src/training/grad-worker.ts') },
    outdir: out, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error',
  });
  return path.join(out, 'training-worker.js');
}
