// What a finished `train` tells its user to do next with the model it wrote: sample from it,
// score it, and use it in VS Code. Said with the command as the user typed it.
import * as path from 'node:path';

export function nextSteps(modelPath: string): string {
  const script = process.argv[1] ?? 'lstm-lens';
  const shortest = (p: string) => { const r = path.relative(process.cwd(), p); return r && !r.startsWith('..') ? r : path.resolve(p); };
  const cli = /\.js$/.test(script) ? `node ${shortest(script)}` : 'lstm-lens';
  const model = shortest(modelPath);
  const quote = (s: string) => (/^[\w./-]+$/.test(s) ? s : JSON.stringify(s));
  return [
    'Next:',
    `  ${cli} sample --model ${quote(model)} --prime "function "     text written by the model`,
    `  ${cli} eval --model ${quote(model)} <files...>               its bits per character on other code`,
    `  ${cli} cells --model ${quote(model)} <files...>              the cells that track quotes, comments, indentation`,
    '  npm start, then "LSTM Lens: Import Model" in the Command Palette: completions and the cell panel in VS Code',
  ].join('\n') + '\n';
}
