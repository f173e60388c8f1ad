// What the CLI tests share: running the lstm-lens CLI in a child process, and the check that an
// error is said in one sentence. Each test file names the entry point it runs: the built bundle
// (dist/cli.js), the sources (src/cli/main.ts, through tsx) or a bundle it builds itself.
// Not a *.test.ts file, so mocha does not load it as a suite.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface CliRunOptions {
  /** working directory of the CLI; this process's own when left out */
  cwd?: string;
  /** what the CLI reads on stdin */
  input?: string;
  timeoutMs?: number;
}

/** Runs `node <entry> ...args` and waits for it; a TypeScript entry runs through tsx. */
export function runCli(entry: string, args: string[], o: CliRunOptions = {}): CliResult {
  const node = entry.endsWith('.ts') ? ['--import', 'tsx', entry] : [entry];
  const r = spawnSync(process.execPath, [...node, ...args], { cwd: o.cwd, input: o.input, encoding: 'utf8', timeout: o.timeoutMs ?? 120_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One clear sentence: a single line that ends with a full stop. */
export function assertOneSentence(stderr: string): void {
  const lines = stderr.trim().split('\n');
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${stderr}`);
  assert.match(lines[0], /^lstm-lens: .+\.$/);
}
