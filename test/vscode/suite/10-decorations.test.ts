// The heatmap painted in the editor, with characters outside the BMP (surrogate pairs): the model
// reads code points, VS Code counts columns in UTF-16 units. The values come from the real
// cell-activation panel (its worker, the hand-built model whose cell 0:5 is high from an opening
// quote through its closing one); the heatmap's ranges are taken as the editor would get them,
// and the text under the ranges of the high bins must be exactly the strings, quotes included.
import { strict as assert } from 'node:assert';
import * as path from 'node:path';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { DiscoveredCell } from '../../../src/cells/discover';
import { HeatmapDecorations } from '../../../src/extension/cells/decorations';
import { BINS } from '../../../src/extension/cells/panel-messages';
import { codePointLineStarts } from '../../../src/extension/cells/text';
import { saveCheckpoint } from '../../../src/model-files/checkpoint-file';
import { QUOTE_CELL, handBuiltCheckpoint } from '../../fixtures/cells/hand-model';
import { clean, getApi, waitFor } from '../helpers';
import { showCellsPanel } from '../cells-spy';

const FOUND: DiscoveredCell[] = [
  { label: 'quote', layer: 0, index: QUOTE_CELL, metric: 'auc', score: 0.99, sign: 1, probe: 1, floor: 0.9, scoreInner: 1, variant: 'c', selectScore: 0.99 },
];

/** An editor that records the decorations set on it, in front of a real one. */
function recorder(editor: vscode.TextEditor): { editor: vscode.TextEditor; calls: vscode.Range[][] } {
  const calls: vscode.Range[][] = [];
  const rec = {
    get document() { return editor.document; },
    get visibleRanges() { return editor.visibleRanges; },
    setDecorations(_type: vscode.TextEditorDecorationType, ranges: readonly vscode.Range[]) { calls.push([...ranges]); },
  } as unknown as vscode.TextEditor;
  return { editor: rec, calls };
}

describe('editor heatmap columns with characters outside the BMP', () => {
  let file: string;
  before(async () => {
    const api = await getApi();
    await clean(api);
    api.store.ensureDir();
    saveCheckpoint(api.store.modelPath!, { ...handBuiltCheckpoint(), cells: FOUND });
    file = path.join(vscode.workspace.workspaceFolders![0].uri.fsPath, 'astral.js');
  });
  after(async () => {
    const api = await getApi();
    api.cellsPanel.close();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    fs.rmSync(file, { force: true });
    await clean(api);
  });

  it('paints each string exactly, whatever surrogate pairs come before or inside it', async () => {
    const api = await getApi();
    const strings = ['"😀x𝒳y"', '"ü😀😀"', '"plain"'];
    const text = `const a = ${strings[0]};\nlet b = 1; // 🎉 before ${strings[2]}\n𝒳𝒳 = [${strings[1]}, 2];\n`;
    fs.writeFileSync(file, text);
    const doc = await vscode.workspace.openTextDocument(file);
    const real = await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.One, preview: false });
    const panel = await showCellsPanel();
    // the values the extension sent the page for this file, computed to the end
    const computed = await waitFor('the file computed by the panel', () => {
      const d = panel.current;
      return d && d.doc === doc.uri.toString() && d.done && d.values.get(`0:${QUOTE_CELL}`)?.every((x) => !Number.isNaN(x)) && d;
    }, 60_000);
    const values = computed.values.get(`0:${QUOTE_CELL}`)!;
    assert.equal(values.length, [...text].length, 'one value per code point');

    const { editor, calls: all } = recorder(real);
    const deco = new HeatmapDecorations();
    try {
      deco.paint(editor, values, codePointLineStarts(text), Math.tanh);
    } finally {
      deco.dispose();
    }
    assert.equal(all.length, 2 * BINS, 'one call per colour bin to paint, and one each to clear');
    assert.ok(all.slice(BINS).every((r) => r.length === 0), 'disposing clears the editor');
    const calls = all.slice(0, BINS);
    const mid = (BINS - 1) / 2;
    // the text under the high (red) ranges, line by line, in column order
    const high = new Map<number, { col: number; text: string }[]>();
    calls.forEach((ranges, bin) => {
      if (bin <= mid) return;
      for (const r of ranges) {
        assert.equal(r.start.line, r.end.line, 'a range stays on its line');
        const t = doc.getText(r);
        assert.ok(!/^[\uDC00-\uDFFF]/.test(t) && !/[\uD800-\uDBFF]$/.test(t), `no range cuts a surrogate pair: ${JSON.stringify(t)}`);
        high.set(r.start.line, [...(high.get(r.start.line) ?? []), { col: r.start.character, text: t }]);
      }
    });
    const painted = (line: number) => (high.get(line) ?? []).sort((a, b) => a.col - b.col).map((x) => x.text).join('');
    assert.equal(painted(0), strings[0]);
    assert.equal(painted(1), strings[2], 'after a surrogate pair earlier on the line');
    assert.equal(painted(2), strings[1], 'after surrogate pairs at the start of the line');
    // and where they are: the opening quote's UTF-16 column
    const firstRange = (line: number) => Math.min(...(high.get(line) ?? []).map((x) => x.col));
    assert.equal(firstRange(0), doc.lineAt(0).text.indexOf('"'));
    assert.equal(firstRange(1), doc.lineAt(1).text.indexOf('"'));
    assert.equal(firstRange(2), doc.lineAt(2).text.indexOf('"'));
  });
});
