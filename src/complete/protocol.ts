// The typed messages between the extension host and the completion worker
// (dist/completion-worker.js). Plain structured-clone data; no vscode import.
//
//   host -> worker   CompletionHostMessage: the model to load, the open documents' text (sent
//                    whole once, then as edits), completion requests
//   worker -> host   CompletionWorkerMessage: what was loaded, each request's result
//
// A request carries a SharedArrayBuffer of one Int32: the host stores 1 there when the editor
// cancels, and the worker, busy computing, reads it before every decoding step (a message could
// only be read after the computation ends).
import type { CompletionItem, NoCompletionReason } from './completer';
import type { DecodeSettings } from './decode-settings';

/** [start, end) of the text before this change (UTF-16 offsets) replaced by text. */
export interface TextChange { start: number; end: number; text: string }

export type CompletionHostMessage =
  /** (Re)load the model; without force, a model that scores worse than the loaded one is kept out. */
  | { type: 'load'; checkpointPath: string; force: boolean }
  | { type: 'unload' }
  | { type: 'open'; uri: string; version: number; text: string; header: string }
  /** Changes in the order VS Code reports them (each on the text the one before left). */
  | { type: 'change'; uri: string; version: number; changes: TextChange[] }
  | { type: 'close'; uri: string }
  /** length: the document's length in UTF-16 units, a check that the worker's copy is whole.
   *  preview: the suggest widget's selected item, as accepting it would put it in (it replaces
   *  [start, end) of the document); the completion then continues the text after it (offset is
   *  then start + text.length of that text). */
  | { type: 'complete'; id: number; uri: string; version: number; length?: number; offset: number; settings: DecodeSettings; cancel: SharedArrayBuffer | null;
      preview?: SuggestPreview };

/** A suggest widget's item put in the text for one request: it replaces [start, end). */
export interface SuggestPreview { start: number; end: number; text: string }

export interface LoadedInfo {
  checkpointPath: string;
  steps: number;
  valBpc?: number;
  /** File extensions of the training corpus (empty: unknown). */
  extensions: string[];
  hasNGram: boolean;
  cell: string;
  layers: number;
  hidden: number;
}

export type CompletionWorkerMessage =
  | { type: 'loaded'; info: LoadedInfo; notice?: string }
  /** The new file was not taken: it scores worse than the model in use. */
  | { type: 'kept'; info: LoadedInfo; reason: string }
  | { type: 'load-failed'; checkpointPath: string; message: string }
  | { type: 'unloaded' }
  | { type: 'result'; id: number; items: CompletionItem[]; reason?: NoCompletionReason | 'no-model' | 'unsynced' | 'error';
      message?: string; fed: number; steps: number; ms: number };
