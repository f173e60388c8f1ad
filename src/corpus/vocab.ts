// Characters <-> ids. A character is a Unicode code point (an emoji is one id, never two UTF-16
// halves). The vocabulary is the code points of the training text sorted by value, then UNK
// (U+FFFF) last, which stands for every code point the training text did not have.
import { UNK } from '../engine/checkpoint';

export { UNK };

/** Unicode scalar values: all code points but the 2,048 surrogates. */
export const UNICODE_SCALAR_VALUES = 0x110000 - 0x800;

export interface Vocab {
  /** one code point each; sorted by code point, UNK last when present */
  readonly chars: string[];
  /** id of UNK, or -1 for a vocabulary without one (encode then refuses unknown characters) */
  readonly unkId: number;
  readonly size: number;
  /**
   * How many code points UNK stands for: all Unicode scalar values minus the vocabulary's own
   * characters. eval spreads P(UNK) evenly over them.
   */
  readonly outOfVocabCodePoints: number;
  /** one id per code point; characters outside the vocabulary -> unkId */
  encode(text: string): Int32Array;
  decode(ids: ArrayLike<number>): string;
  /** Generated ids as text for a person: decode without UNK, which stands for no one character
   *  (shown, it would be U+FFFF, a noncharacter). */
  textOf(ids: ArrayLike<number>): string;
  /** id of one character (a one-code-point string), unkId when it is not in the vocabulary */
  idOf(ch: string): number;
}

export function buildVocab(trainText: string): Vocab {
  const seen = new Set<number>();
  for (let i = 0; i < trainText.length; i++) {
    const cp = trainText.codePointAt(i)!;
    if (cp > 0xffff) i++;
    seen.add(cp);
  }
  seen.delete(UNK.codePointAt(0)!); // U+FFFF in text is simply unknown
  const chars = [...seen].sort((a, b) => a - b).map((cp) => String.fromCodePoint(cp));
  chars.push(UNK);
  return vocabFromChars(chars);
}

/** Whether the text holds more than `limit` different code points (UNK's U+FFFF not counted);
 *  stops reading at the first one past the limit. */
export function hasMoreCharsThan(text: string, limit: number): boolean {
  const seen = new Set<number>();
  for (let i = 0; i < text.length; i++) {
    const cp = text.codePointAt(i)!;
    if (cp > 0xffff) i++;
    if (cp !== 0xffff) seen.add(cp);
    if (seen.size > limit) return true;
  }
  return false;
}

/** A vocabulary from a checkpoint's list; ids are the list's indices. */
export function vocabFromChars(chars: readonly string[]): Vocab {
  const bmp = new Int32Array(0x10000).fill(-1);
  const astral = new Map<number, number>();
  chars.forEach((ch, id) => {
    const cps = [...ch];
    if (cps.length !== 1) throw new Error(`Vocabulary entry ${id} is not a single character.`);
    const cp = ch.codePointAt(0)!;
    const prev = cp <= 0xffff ? bmp[cp] : astral.get(cp) ?? -1;
    if (prev !== -1) throw new Error(`The vocabulary lists the character U+${hex(cp)} twice.`);
    if (cp <= 0xffff) bmp[cp] = id; else astral.set(cp, id);
  });
  const unkId = chars.length > 0 && chars[chars.length - 1] === UNK ? chars.length - 1 : -1;
  const known = unkId === -1 ? chars.length : chars.length - 1;
  const frozen = Object.freeze([...chars]) as string[]; // frozen: ids must not drift

  const lookup = (cp: number): number => {
    const id = cp <= 0xffff ? bmp[cp] : astral.get(cp) ?? -1;
    if (id !== -1 && id !== unkId) return id;
    if (unkId === -1) throw new Error(`The character U+${hex(cp)} is not in the vocabulary, which has no UNK entry.`);
    return unkId;
  };

  return {
    chars: frozen,
    unkId,
    size: chars.length,
    outOfVocabCodePoints: UNICODE_SCALAR_VALUES - known,
    encode(text: string): Int32Array {
      const ids = new Int32Array(text.length);
      let n = 0;
      for (let i = 0; i < text.length; i++) {
        const cp = text.codePointAt(i)!;
        if (cp > 0xffff) i++;
        ids[n++] = lookup(cp);
      }
      return n === ids.length ? ids : ids.slice(0, n);
    },
    decode(ids: ArrayLike<number>): string {
      let s = '';
      for (let i = 0; i < ids.length; i++) {
        const ch = frozen[ids[i]];
        if (ch === undefined) throw new Error(`Id ${ids[i]} is outside the vocabulary of ${chars.length} characters.`);
        s += ch;
      }
      return s;
    },
    textOf(ids: ArrayLike<number>): string {
      let s = '';
      for (let i = 0; i < ids.length; i++) if (ids[i] !== unkId) s += frozen[ids[i]] ?? '';
      return s;
    },
    idOf(ch: string): number {
      return lookup(ch.codePointAt(0)!);
    },
  };
}

function hex(cp: number): string {
  return cp.toString(16).toUpperCase().padStart(4, '0');
}
