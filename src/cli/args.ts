// Command-line options: one table per subcommand, parsed strictly, with each bad value turned
// into one clear sentence (a UsageError, exit code 2).
import { parseArgs } from 'node:util';

export class UsageError extends Error {}

type OptionKind = 'string' | 'number' | 'int' | 'flag' | 'list';
export interface OptionSpec { kind: OptionKind; min?: number; max?: number; choices?: readonly string[]; multiple?: boolean }
export type OptionTable = Record<string, OptionSpec>;

export interface Parsed {
  positionals: string[];
  /** Values as given (numbers parsed); options not given are absent. */
  values: Record<string, string | number | boolean | string[] | undefined>;
}

export function parseCommandLine(argv: string[], table: OptionTable, command: string): Parsed {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries(table)) {
    options[name] = { type: spec.kind === 'flag' ? 'boolean' : 'string', multiple: spec.multiple === true };
  }
  let raw: ReturnType<typeof parseArgs>;
  try {
    raw = parseArgs({ args: joinNegativeNumbers(argv, table), options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new UsageError(`${parseArgsSentence(e as Error & { code?: string })} (see "lstm-lens ${command} --help").`);
  }
  const values: Parsed['values'] = {};
  for (const [name, value] of Object.entries(raw.values)) {
    const spec = table[name];
    if (value === undefined) continue;
    if (spec.kind === 'flag' || spec.multiple) { values[name] = value as boolean | string[]; continue; }
    values[name] = convert(name, String(value), spec);
  }
  return { positionals: raw.positionals, values };
}

/** `--hidden -5` as `--hidden=-5`: parseArgs takes "-5" for an option, and a number option's
 *  value that starts with a dash is a negative number (refused, or not, by its own range). */
function joinNegativeNumbers(argv: string[], table: OptionTable): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const spec = argv[i].startsWith('--') ? table[argv[i].slice(2)] : undefined;
    const next = argv[i + 1];
    if (spec && (spec.kind === 'number' || spec.kind === 'int') && next !== undefined && /^-(\d|\.\d|inf)/i.test(next)) {
      out.push(`${argv[i]}=${next}`);
      i++;
    } else {
      out.push(argv[i]);
    }
  }
  return out;
}

/** parseArgs's messages run to three lines and speak of "positional arguments"; one sentence. */
function parseArgsSentence(e: Error & { code?: string }): string {
  const option = /'(-[^' ]+)/.exec(e.message)?.[1] ?? 'an option';
  if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return `There is no option ${option}`;
  if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    if (/does not take an argument/.test(e.message)) return `${option} takes no value`;
    if (/ambiguous/.test(e.message)) return `${option} needs a value (write ${option}=VALUE for one that starts with a dash)`;
    return `${option} needs a value`;
  }
  return e.message.split('\n')[0].replace(/\.$/, '');
}

function convert(name: string, text: string, spec: OptionSpec): string | number | string[] {
  if (spec.kind === 'string') {
    if (spec.choices && !spec.choices.includes(text)) {
      throw new UsageError(`--${name} must be one of ${spec.choices.join(', ')}, not "${text}".`);
    }
    return text;
  }
  if (spec.kind === 'list') return text.split(',').map((s) => s.trim()).filter(Boolean);
  const n = Number(text);
  const what = spec.kind === 'int' ? 'an integer' : 'a number';
  if (text.trim() === '' || !Number.isFinite(n) || (spec.kind === 'int' && !Number.isInteger(n))) {
    throw new UsageError(`--${name} must be ${what}, not "${text}".`);
  }
  if (spec.min !== undefined && n < spec.min) throw new UsageError(`--${name} must be at least ${spec.min}, not ${text}.`);
  if (spec.max !== undefined && n > spec.max) throw new UsageError(`--${name} must be at most ${spec.max}, not ${text}.`);
  return n;
}

/** The value of a required option, or a UsageError naming it. */
export function required<T>(p: Parsed, name: string, command: string): T {
  const v = p.values[name];
  if (v === undefined) throw new UsageError(`lstm-lens ${command} needs --${name}.`);
  return v as T;
}
