// Content checks on a file's bytes and text: binary, minified, empty.

/** A NUL byte never occurs in source text; invalid UTF-8 is caught by the decoder. */
export function hasNulByte(bytes: Uint8Array): boolean {
  return bytes.indexOf(0) !== -1;
}

/** UTF-8 text with the BOM dropped, or undefined when the bytes are not valid UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Prose keeps a paragraph on one line, so long lines there mean nothing. */
const PROSE_EXTENSIONS = new Set(['md', 'markdown', 'mdx', 'txt', 'text', 'rst', 'adoc', 'asciidoc', 'org', 'tex']);

export const MINIFIED_MAX_LINE = 5000;
export const MINIFIED_MAX_AVERAGE_LINE = 300;
/** The average rule needs some text to be meaningful: a short one-line config is not minified. */
const MINIFIED_AVERAGE_MIN_CHARS = 1000;

/**
 * Minified or generated: a line longer than 5,000 characters, or (in a file over 1,000
 * characters) an average line longer than 300. Prose files are exempt.
 */
export function looksMinified(relPath: string, text: string): boolean {
  const dot = relPath.lastIndexOf('.');
  const ext = dot > relPath.lastIndexOf('/') ? relPath.slice(dot + 1).toLowerCase() : '';
  if (PROSE_EXTENSIONS.has(ext)) return false;
  let lines = 0, start = 0, longest = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end === -1) end = text.length;
    longest = Math.max(longest, end - start);
    lines++;
    start = end + 1;
  }
  if (longest > MINIFIED_MAX_LINE) return true;
  return text.length > MINIFIED_AVERAGE_MIN_CHARS && text.length / lines > MINIFIED_MAX_AVERAGE_LINE;
}

/** Characters as the model sees them: code points, not UTF-16 units. */
export function countCodePoints(text: string): number {
  let n = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // a high surrogate followed by a low one is one code point
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) { n--; i++; }
    }
  }
  return n;
}
