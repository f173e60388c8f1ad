// The last completion each document was offered, kept on the extension host so that the answer to
// a request already answered is given at once, without the debounce: the same request again (VS
// Code asks again when the suggest widget or the cursor moves and comes back), or the user typing
// the first characters of the ghost shown (the worker keeps the rest then, at no decoding cost).
// No vscode import: unit tests drive it in plain Node.
import type { CompletionItem } from '../../complete/completer';
import type { TextChange } from '../../complete/protocol';

interface Answer {
  version: number;
  offset: number;
  /** What else the request depended on (settings, the suggest widget's item). */
  key: string;
  items: CompletionItem[];
}

export class RecentAnswers {
  private readonly last = new Map<string, Answer>();

  remember(uri: string, version: number, offset: number, key: string, items: CompletionItem[]): void {
    this.last.set(uri, { version, offset, key, items });
  }

  /** The items of the same request (document version, cursor, key) answered last, if it was. */
  same(uri: string, version: number, offset: number, key: string): CompletionItem[] | undefined {
    const a = this.last.get(uri);
    return a && a.version === version && a.offset === offset && a.key === key ? a.items : undefined;
  }

  /** Whether the text typed since the last answer (textFrom(its offset) is the document from there
   *  to the cursor at offset) is the start of its first completion: the worker still has the rest. */
  typedThrough(uri: string, offset: number, key: string, textFrom: (start: number) => string): boolean {
    const a = this.last.get(uri);
    const first = a?.items[0];
    if (!a || !first || a.key !== key || offset <= a.offset || offset - a.offset >= first.text.length) return false;
    return first.text.startsWith(textFrom(a.offset));
  }

  /** The document changed: an answer whose start the changes reach no longer holds. */
  changed(uri: string, changes: readonly TextChange[]): void {
    const a = this.last.get(uri);
    if (a && changes.some((c) => c.start < a.offset)) this.last.delete(uri);
  }

  forget(uri: string): void {
    this.last.delete(uri);
  }
}
