// List the candidate files under the roots, in no particular order (the caller sorts), applying
// the ignore rules and keeping out everything that is not a regular file. Symlinks are followed,
// but a symlinked folder is entered only if its real path is not already being walked above it
// (a loop) and was not walked before (a second way into the same tree).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { IgnoreStack } from './ignore-rules';
import { reasonForError } from './read-file';
import { SkipCounts, countSkip } from './skips';

export interface Candidate {
  absPath: string;
  /** '/'-separated; relative to the root, prefixed by the root's name when there are several roots */
  relPath: string;
}

export interface WalkOptions {
  extraIgnore?: string[];
  include?: (relPath: string) => boolean;
  signal?: AbortSignal;
  onListed?: (count: number) => void;
}

export async function listCandidates(roots: string[], opts: WalkOptions, skipped: SkipCounts): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const visitedDirs = new Set<string>();
  for (const root of roots) {
    const abs = path.resolve(root);
    let st: fs.Stats;
    try {
      st = await fs.promises.stat(abs);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new Error(`There is no file or folder at ${root}.`);
      throw new Error(`Cannot read ${root} (${code ?? (e as Error).message}).`);
    }
    const prefix = roots.length > 1 ? path.basename(abs) : '';
    if (st.isFile()) {
      // A file named on its own is taken as meant: no ignore rules, only the content checks.
      out.push({ absPath: abs, relPath: path.basename(abs) });
    } else if (st.isDirectory()) {
      const ctx: WalkContext = { opts, skipped, out, visitedDirs, prefix, ancestors: new Set() };
      await walkDir(ctx, abs, '', IgnoreStack.forRoot(opts.extraIgnore));
    } else {
      countSkip(skipped, 'notRegular', prefix || path.basename(abs));
    }
  }
  return out;
}

interface WalkContext {
  opts: WalkOptions;
  skipped: SkipCounts;
  out: Candidate[];
  visitedDirs: Set<string>;
  prefix: string;
  ancestors: Set<string>; // real paths of the folders on the current walk path
}

async function walkDir(ctx: WalkContext, absDir: string, rel: string, stack: IgnoreStack): Promise<void> {
  if (ctx.opts.signal?.aborted) throw abortError();
  const shown = (r: string) => (ctx.prefix ? (r ? `${ctx.prefix}/${r}` : ctx.prefix) : r);
  let real: string;
  try {
    real = await fs.promises.realpath(absDir);
  } catch (e) {
    countSkip(ctx.skipped, reasonForError(e), shown(rel) + '/');
    return;
  }
  if (ctx.ancestors.has(real)) { countSkip(ctx.skipped, 'symlinkLoop', shown(rel) + '/'); return; }
  if (ctx.visitedDirs.has(real)) { countSkip(ctx.skipped, 'duplicate', shown(rel) + '/'); return; }
  ctx.visitedDirs.add(real);

  let entries: fs.Dirent[];
  try {
    entries = await fs.promises.readdir(absDir, { withFileTypes: true });
  } catch (e) {
    countSkip(ctx.skipped, reasonForError(e), shown(rel) + '/');
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const gitignore = entries.find((d) => d.name === '.gitignore' && !d.isDirectory());
  const here = gitignore ? stack.withGitignore(rel, await readSmallText(path.join(absDir, '.gitignore'))) : stack;

  ctx.ancestors.add(real);
  try {
    for (const d of entries) {
      const childAbs = path.join(absDir, d.name);
      const childRel = rel ? `${rel}/${d.name}` : d.name;
      let kind = direntKind(d);
      if (kind === 'symlink') {
        try {
          const st = await fs.promises.stat(childAbs);
          kind = st.isDirectory() ? 'dir' : st.isFile() ? 'file' : 'other';
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          countSkip(ctx.skipped, code === 'ENOENT' ? 'brokenLink' : reasonForError(e), shown(childRel));
          continue;
        }
      }
      if (here.ignores(childRel, kind === 'dir')) {
        countSkip(ctx.skipped, 'ignored', shown(childRel) + (kind === 'dir' ? '/' : ''));
        continue;
      }
      if (kind === 'dir') {
        await walkDir(ctx, childAbs, childRel, here);
      } else if (kind === 'file') {
        const relPath = shown(childRel);
        if (ctx.opts.include && !ctx.opts.include(relPath)) { countSkip(ctx.skipped, 'ignored', relPath); continue; }
        ctx.out.push({ absPath: childAbs, relPath });
        if (ctx.out.length % 256 === 0) ctx.opts.onListed?.(ctx.out.length);
      } else {
        countSkip(ctx.skipped, 'notRegular', shown(childRel));
      }
    }
  } finally {
    ctx.ancestors.delete(real);
  }
}

function direntKind(d: fs.Dirent): 'dir' | 'file' | 'symlink' | 'other' {
  if (d.isSymbolicLink()) return 'symlink';
  if (d.isDirectory()) return 'dir';
  if (d.isFile()) return 'file';
  return 'other';
}

/** A .gitignore we cannot read counts as absent (git would complain; we just go on). */
async function readSmallText(p: string): Promise<string | undefined> {
  try {
    const st = await fs.promises.stat(p);
    if (!st.isFile() || st.size > 1 << 20) return undefined;
    return await fs.promises.readFile(p, 'utf8');
  } catch {
    return undefined;
  }
}

export function abortError(): Error {
  const e = new Error('Reading the files was cancelled.');
  e.name = 'AbortError';
  return e;
}
