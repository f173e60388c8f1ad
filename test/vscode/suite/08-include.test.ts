// lstmLens.include narrows the corpus: language ids become the file patterns that VS Code's
// language extensions declare, globs are taken as they are.
import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { resolveInclude } from '../../../src/extension/settings';
import type { CorpusMessage } from '../../../src/extension/training/controller';
import { getApi, waitFor } from '../helpers';

describe('lstmLens.include', () => {
  it('turns language ids into file patterns', () => {
    const globs = resolveInclude(['typescript', 'src/**', '']);
    assert.ok(globs.includes('*.ts'), globs.join(' '));
    assert.ok(globs.includes('src/**'));
    assert.ok(!globs.includes(''));
  });

  it('trains only on the files it names', async () => {
    const api = await getApi();
    const config = vscode.workspace.getConfiguration('lstmLens');
    await config.update('include', ['python'], vscode.ConfigurationTarget.Workspace);
    try {
      let corpus: CorpusMessage | undefined;
      api.controller.once('corpus', (m: CorpusMessage) => { corpus = m; });
      const run = vscode.commands.executeCommand('lstmLens.train', { existingModel: 'continue' });
      await waitFor('the corpus report', () => corpus, 30_000);
      await vscode.commands.executeCommand('lstmLens.stop');
      await run;
      assert.equal(corpus!.files, 1, 'only scripts/stats.py');
      assert.match(corpus!.skippedSummary, /ignored files or folders/);
    } finally {
      await config.update('include', undefined, vscode.ConfigurationTarget.Workspace);
    }
  });
});
