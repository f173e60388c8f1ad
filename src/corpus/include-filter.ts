// The lstmLens.include setting as a predicate on corpus paths: gitignore-style globs
// ("src/**", "*.py"); a file is taken when any of them matches. In a multi-root workspace the
// corpus prefixes paths with the folder's name, so a pattern is also tried without that prefix.
import ignore from 'ignore';

export function includeFilter(patterns: string[], multiRoot: boolean): ((relPath: string) => boolean) | undefined {
  const clean = patterns.map((p) => p.trim()).filter((p) => p !== '' && !p.startsWith('#'));
  if (clean.length === 0) return undefined;
  const matcher = ignore().add(clean);
  return (relPath: string) => {
    if (matcher.ignores(relPath)) return true;
    if (multiRoot) {
      const slash = relPath.indexOf('/');
      if (slash > 0 && slash < relPath.length - 1 && matcher.ignores(relPath.slice(slash + 1))) return true;
    }
    return false;
  };
}
