// How a failed training run is told in the editor: the failure's code, worded with the settings
// a user changes (the CLI words the same codes with its flags: src/cli/errors.ts).
import type { LensErrorData } from '../../errors';
import type { FailureCode } from '../../training/protocol';

/** A stored model keeps its own shape and optimizer, so a changed setting needs a reset to apply. */
const KEEPS_ITS_OWN = '(and Reset Model, as a stored model keeps its own)';

export function failureMessage(code: FailureCode, message: string, data?: LensErrorData): string {
  // a failed save says why in words; the model before it is intact (every write is atomic), which
  // the caller's note names: the storage folder's path and the temp file's are nobody's business
  if (data?.code === 'save-failed') return `LSTM Lens could not save the model (${data.reason}).`;
  switch (code) {
    case 'empty-corpus': return `LSTM Lens found nothing to train on. ${message}`;
    case 'too-little-text': return `LSTM Lens found too little to train on. ${message} Add source files, or lower lstmLens.sequenceLength ${KEEPS_ITS_OWN}.`;
    case 'diverged': return `LSTM Lens stopped training: ${message} Try a smaller lstmLens.learningRate ${KEEPS_ITS_OWN}.`;
    case 'bad-settings': return `LSTM Lens cannot train with these settings: ${message}`;
    case 'corrupt-checkpoint': return `The stored LSTM Lens model could not be read: ${message}`;
    case 'save-failed': return `LSTM Lens could not save the model: ${message}`;
    case 'internal': return `LSTM Lens training failed: ${message}`;
  }
}
