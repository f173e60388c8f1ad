// The heatmap painted directly in the editor (the panel's "Paint in editor" option): one
// decoration type per colour bin, set on the lines in view (and a margin around them), runs of
// characters of the same bin merged into one range.
import * as vscode from 'vscode';
import { BINS, binColor, binOf } from './panel-messages';

const MARGIN_LINES = 100;

export class HeatmapDecorations implements vscode.Disposable {
  private readonly types: vscode.TextEditorDecorationType[];
  private painted: vscode.TextEditor | undefined;

  constructor() {
    this.types = Array.from({ length: BINS }, (_, b) => vscode.window.createTextEditorDecorationType({ backgroundColor: binColor(b) }));
  }

  /**
   * Paints `editor` from values (one per code point of its text; NaN: not computed), through
   * `paint` (tanh for an LSTM's cell state). lineStarts[l] is the code-point index of line l.
   */
  paint(editor: vscode.TextEditor, values: Float32Array, lineStarts: Uint32Array, paint: (x: number) => number): void {
    if (this.painted && this.painted !== editor) this.clear();
    this.painted = editor;
    const ranges: vscode.Range[][] = this.types.map(() => []);
    const doc = editor.document;
    const visible = editor.visibleRanges.length ? editor.visibleRanges : [new vscode.Range(0, 0, 0, 0)];
    const from = Math.max(0, Math.min(...visible.map((r) => r.start.line)) - MARGIN_LINES);
    const to = Math.min(doc.lineCount - 1, Math.max(...visible.map((r) => r.end.line)) + MARGIN_LINES);
    for (let line = from; line <= to && line < lineStarts.length; line++) {
      const text = doc.lineAt(line).text;
      let cp = lineStarts[line];
      let runBin = -1, runStart = 0, col = 0;
      for (const ch of text) {
        const x = values[cp];
        const bin = Number.isNaN(x) || x === undefined ? -1 : binOf(paint(x));
        if (bin !== runBin) {
          if (runBin >= 0 && runBin !== (BINS - 1) / 2) ranges[runBin].push(new vscode.Range(line, runStart, line, col));
          runBin = bin; runStart = col;
        }
        col += ch.length;   // columns are UTF-16 units
        cp++;
      }
      if (runBin >= 0 && runBin !== (BINS - 1) / 2) ranges[runBin].push(new vscode.Range(line, runStart, line, col));
    }
    this.types.forEach((t, b) => editor.setDecorations(t, ranges[b]));
  }

  clear(): void {
    if (this.painted) for (const t of this.types) this.painted.setDecorations(t, []);
    this.painted = undefined;
  }

  dispose(): void {
    this.clear();
    for (const t of this.types) t.dispose();
  }
}
