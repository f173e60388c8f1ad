// lstm-lens: the headless command line over the same engine as the extension.
// Errors reach stderr as one sentence with a non-zero exit code (2 for bad usage).
import { DEFAULTS } from '../defaults';
import { asLensError } from '../errors';
import { UsageError } from './args';
import { cliMessage } from './errors';
import { bench } from './commands/bench';
import { cells } from './commands/cells';
import { complete } from './commands/complete';
import { corpus } from './commands/corpus';
import { evaluate } from './commands/eval';
import { sample } from './commands/sample';
import { trace } from './commands/trace';
import { train } from './commands/train';

const commands: Record<string, (argv: string[]) => Promise<number>> = { train, eval: evaluate, sample, cells, trace, bench, complete, corpus };

const USAGE = `usage: lstm-lens <command> [options]

  train <path...> --out FILE [--val <path...>] [--raw] [--cell lstm|gru|rnn] [--layers L] [--hidden H]
        (default: the size the corpus and a --minutes budget call for; 2×256 for --steps/--epochs) [--dropout 0] [--seq 64] [--batch 32] [--optimizer adam|rmsprop|adagrad|momentum|sgd] [--lr 1e-2]
        [--clip 5] [--minutes M] [--steps N] [--epochs E] [--threads N] [--seed S] [--resume] [--json]
        [--save-every SECONDS]   a checkpoint every ${DEFAULTS.intervals.saveEveryMs / 1000} s by default (and at the end)
  eval   --model FILE <path...> [--raw] [--mixture [--no-adapt] [--without lstm,corpus,counts,match,ctxmix,sse]
         [--dynamic output|full|off]] [--json]
  sample --model FILE [--prime TEXT] [--length N] [--temperature T] [--seed S]
  complete --model FILE [--component mixture|lstm|ngram] [--decoding greedy|beam] [--scope line|block]
        [--threshold BITS|inf] [--alternatives N]   JSON lines on stdin {"id","context","max_chars","path"?,"file_start"?,"suffix"?}
        -> stdout {"id","completion","bits"}: each request answered from its own context alone
  cells  --model FILE <path...> [--raw] [--language L] [--json] [--top K] [--max-chars N]
  trace  --model FILE <file> [--raw] --cells L:i[,L:i...] [--json]
  bench  [--config A|B|C] [--threads N] [--backend auto|wasm|ref] [--json]
  corpus <path...> --out DIR [--raw]   -> DIR/train.txt, DIR/val.txt, DIR/vocab.json (what train reads)
`;

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => onStdoutError(e, name));
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(USAGE);
    return name ? 0 : 2;
  }
  const command = commands[name];
  if (!command) throw new UsageError(`Unknown command "${name}"; the commands are ${Object.keys(commands).join(', ')}.`);
  if (rest.includes('--help') || rest.includes('-h')) { process.stdout.write(USAGE); return 0; }
  return command(rest);
}

/** A reader that stops early (`| head`) closes the pipe: exit quietly, as Unix tools do. A training
 *  run goes on instead (its progress lines were only for show) and saves as it would have. */
function onStdoutError(e: NodeJS.ErrnoException, command: string | undefined): void {
  const closed = e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED';
  if (!closed) throw e;
  if (command !== 'train') process.exit(0);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => {
    const known = asLensError(e);
    const message = known ? cliMessage(known) : e instanceof Error ? e.message : String(e);
    process.stderr.write(`lstm-lens: ${message}\n`);
    if (process.env.LSTM_LENS_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
    process.exitCode = e instanceof UsageError ? 2 : 1;
  },
);
