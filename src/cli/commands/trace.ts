// lstm-lens trace --model FILE <file> [--raw] --cells L:i[,L:i...] --json
//   -> {"chars":N,"cells":{"L:i":[c_t after each character...]}}
// One value per code point of the file, the first included (h_t for GRU/RNN). Without --raw the
// file is read as the corpus reads it and its header line is fed first, but not reported.
import { readCellTexts } from '../../cells/read-cell-texts';
import { cellKey, parseCellRefs, traceCells } from '../../cells/trace';
import { Stepper } from '../../engine/stepper';
import { loadModel } from '../../model-files/load-model';
import { pickKernels } from '../../runtime/kernels';
import { OptionTable, parseCommandLine, required, UsageError } from '../args';

export const traceOptions: OptionTable = { model: { kind: 'string' }, raw: { kind: 'flag' }, cells: { kind: 'string' }, json: { kind: 'flag' } };

export async function trace(argv: string[]): Promise<number> {
  const p = parseCommandLine(argv, traceOptions, 'trace');
  const modelPath = required<string>(p, 'model', 'trace');
  const spec = required<string>(p, 'cells', 'trace');
  if (p.positionals.length !== 1) throw new UsageError('lstm-lens trace needs exactly one file.');
  const { model, vocab } = loadModel(modelPath, pickKernels().kernels, 1, 1);
  let refs;
  try {
    refs = parseCellRefs(spec, model.config);
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const texts = await readCellTexts(p.positionals, { raw: p.values.raw === true });
  if (texts.length !== 1) throw new UsageError(`${p.positionals[0]} is not one file.`);
  const { text, header } = texts[0];
  const headerIds = header ? vocab.encode(header) : new Int32Array(0);
  const bodyIds = vocab.encode(text);
  const ids = new Int32Array(headerIds.length + bodyIds.length);
  ids.set(headerIds); ids.set(bodyIds, headerIds.length);
  const stepper = new Stepper(model);
  const values = traceCells(stepper, ids, refs, headerIds.length);
  const cells: Record<string, number[]> = {};
  refs.forEach((c, k) => { cells[cellKey(c)] = Array.from(values[k], (v) => Number(v.toPrecision(6))); });
  const out = { chars: bodyIds.length, cells };
  if (p.values.json) process.stdout.write(JSON.stringify(out) + '\n');
  else {
    // Without --json: one line per character, the character then each cell's value.
    const chars = [...text];
    const keys = Object.keys(cells);
    process.stdout.write(`char\t${keys.join('\t')}\n`);
    chars.forEach((ch, i) => process.stdout.write(`${JSON.stringify(ch)}\t${keys.map((k) => cells[k][i]).join('\t')}\n`));
  }
  return 0;
}
