// Failures that a user can act on travel as a code with data, not as wording: the engine, the
// corpus and the training run throw a LensError; the CLI and the extension each put it into the
// words of their own interface (a flag, or a setting) at the edge (cli/errors.ts,
// extension/training/failures.ts). `message` is a plain statement of what happened, with no
// advice in any interface's vocabulary.
export type LensErrorData =
  /** The stored model or the checkpoint given cannot be read (the message says why). */
  | { code: 'corrupt-checkpoint'; path: string }
  /** Nothing to train on: no usable file (the message sums up the skips). */
  | { code: 'empty-corpus' }
  /** Some text, but fewer characters than one training sequence. */
  | { code: 'too-little-text'; chars: number; seqLength: number }
  /** The loss became NaN again after every rollback with a halved learning rate. */
  | { code: 'diverged'; rollbacks: number }
  /** A model or training setting the engine refuses. */
  | { code: 'bad-settings' }
  /** Writing a file failed (a full disk, a folder gone, ...): `reason` in words, no temp path;
   *  `kept`: the file that was there before is intact (every write is atomic). */
  | { code: 'save-failed'; path: string; what: string; reason: string; kept: boolean };

export type LensErrorCode = LensErrorData['code'];

export class LensError extends Error {
  constructor(readonly data: LensErrorData, message: string) {
    super(message);
    this.name = 'LensError';
  }

  get code(): LensErrorCode {
    return this.data.code;
  }
}

/** The LensError of e, or undefined for anything else (a bug, an I/O error, ...). */
export function asLensError(e: unknown): LensError | undefined {
  return e instanceof LensError ? e : undefined;
}
