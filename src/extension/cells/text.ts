// Code-point arithmetic on document text (the model reads code points; VS Code counts UTF-16
// units). No vscode import: unit-testable.

const SURROGATE = /[\uD800-\uDFFF]/;

/** The code-point index where each line of `text` starts (lines split at \n). */
export function codePointLineStarts(text: string): Uint32Array {
  const starts: number[] = [0];
  if (!SURROGATE.test(text)) {
    // no pairs: code points are UTF-16 units, and the native search is fast (the host's thread)
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    return Uint32Array.from(starts);
  }
  let cp = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    cp++;
    if (c === 10) starts.push(cp);
  }
  return Uint32Array.from(starts);
}

/** Code points in `text`. */
export function codePointLength(text: string): number {
  if (!SURROGATE.test(text)) return text.length;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** How many code points two texts share from their start. */
export function commonPrefixCodePoints(a: string, b: string): number {
  const m = Math.min(a.length, b.length);
  let i = 0;
  while (i < m && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i > 0 && i < m && a.charCodeAt(i - 1) >= 0xd800 && a.charCodeAt(i - 1) <= 0xdbff) i--;   // not half a pair
  return codePointLength(a.slice(0, i));
}
