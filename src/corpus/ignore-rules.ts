// Which paths never reach the corpus: the built-in ignores (tool folders, lock files, build output,
// binary formats by extension), the caller's extra patterns, and every .gitignore inside a root.
// .gitignore files above a root are not consulted: a root the user names is taken as meant.
import ignore, { Ignore } from 'ignore';

/** Folders of tools and build output, lock files, minified bundles and binary formats. */
export const DEFAULT_IGNORES: readonly string[] = [
  // version control and dependency folders
  '.git/', '.hg/', '.svn/', 'node_modules/', 'bower_components/', 'jspm_packages/',
  // build output, caches, virtual environments
  'dist/', 'out/', 'build/', 'target/', 'coverage/', '.nyc_output/', '.vscode-test*/',
  '__pycache__/', '.venv/', 'venv/', '.tox/', '.mypy_cache/', '.pytest_cache/', '.next/', '.nuxt/', '.cache/',
  '.gradle/', '.idea/',
  // lock files: long, machine-written
  'package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'Cargo.lock',
  'poetry.lock', 'Pipfile.lock', 'Gemfile.lock', 'composer.lock', 'go.sum', 'flake.lock',
  // minified bundles and source maps
  '*.min.js', '*.min.mjs', '*.min.css', '*.map',
  // images, fonts, media
  '*.png', '*.jpg', '*.jpeg', '*.gif', '*.bmp', '*.ico', '*.icns', '*.webp', '*.tif', '*.tiff', '*.psd', '*.svg',
  '*.woff', '*.woff2', '*.ttf', '*.otf', '*.eot',
  '*.mp3', '*.mp4', '*.wav', '*.ogg', '*.flac', '*.mov', '*.avi', '*.mkv', '*.webm', '*.pdf',
  // archives
  '*.zip', '*.tar', '*.gz', '*.tgz', '*.bz2', '*.xz', '*.zst', '*.7z', '*.rar', '*.jar', '*.war', '*.vsix',
  // compiled code and model or data blobs
  '*.exe', '*.dll', '*.so', '*.dylib', '*.o', '*.a', '*.lib', '*.obj', '*.class', '*.pyc', '*.pyo', '*.wasm',
  '*.node', '*.bin', '*.safetensors', '*.pt', '*.pth', '*.onnx', '*.npy', '*.npz', '*.pkl',
  '*.sqlite', '*.sqlite3', '*.db', '.DS_Store',
];

/** One .gitignore, or the root-level rules, with the folder (relative to the root) it applies from. */
interface Level {
  base: string; // '' for the root, else 'a/b' with no trailing slash
  rules: Ignore;
}

/**
 * The ignore state of one folder during the walk: the fixed rules, plus one level per .gitignore
 * from the root down to this folder. Later (deeper) levels override earlier ones, as in git.
 */
export class IgnoreStack {
  private constructor(private readonly fixed: Ignore, private readonly levels: readonly Level[]) {}

  static forRoot(extraIgnore: readonly string[] = []): IgnoreStack {
    return new IgnoreStack(ignore({ ignorecase: true }).add([...DEFAULT_IGNORES, ...extraIgnore]), []);
  }

  /** The stack for a subfolder whose .gitignore holds `gitignoreText` (undefined: none there). */
  withGitignore(base: string, gitignoreText: string | undefined): IgnoreStack {
    if (gitignoreText === undefined) return this;
    // git matches case-sensitively unless core.ignorecase is set
    return new IgnoreStack(this.fixed, [...this.levels, { base, rules: ignore({ ignorecase: false }).add(gitignoreText) }]);
  }

  /** rel: path inside the root, '/'-separated; isDir: test it as a folder (pattern "x/" matches). */
  ignores(rel: string, isDir: boolean): boolean {
    const probe = isDir ? rel + '/' : rel;
    if (this.fixed.ignores(probe)) return true;
    let ignored = false;
    for (const { base, rules } of this.levels) {
      const local = base === '' ? probe : probe.slice(base.length + 1);
      const r = rules.test(local);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }
}
