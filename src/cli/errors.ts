// A LensError in the words of the command line: what happened, then what to change, as a flag.
import type { LensError } from '../errors';

export function cliMessage(e: LensError): string {
  const d = e.data;
  switch (d.code) {
    case 'diverged': return `${e.message} Try a smaller --lr.`;
    case 'too-little-text': return `${e.message} Give more files, or a shorter --seq.`;
    case 'save-failed':
    case 'corrupt-checkpoint':
    case 'empty-corpus':
    case 'bad-settings':
      return e.message;
  }
}
