// A folder -> training text: ignore rules, filters, file headers, splits, vocabulary.
export { collectCorpus, describeCollected, CorpusFile, CorpusFiles, CorpusProgress, CollectOptions, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_TOTAL_BYTES } from './collect';
export { buildCorpus, fileHeader, FileSpan, SplitCorpus, SplitOptions } from './build';
export { buildVocab, vocabFromChars, Vocab, UNK, UNICODE_SCALAR_VALUES } from './vocab';
export { readRawStreams } from './raw';
export { NoUsableTextError, noUsableTextMessage, describeSkips, SkipReason, SkipCount, SkipCounts } from './skips';
export { DEFAULT_IGNORES } from './ignore-rules';
