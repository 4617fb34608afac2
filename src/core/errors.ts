/**
 * Every failure the core reports on purpose is a FrankenlensError: a stable `code`, the file and
 * tensor it concerns when known, and a short message. The CLI prints `message` (never a stack) and
 * maps the code to an exit status; the extension host shows it with a "Show file" action.
 */
export type ErrorCode =
  // safetensors header and data, in the order the reader checks them
  | 'HeaderTooSmall'
  | 'HeaderTooLarge'
  | 'InvalidHeaderLength'
  | 'InvalidHeaderUtf8'
  | 'InvalidHeaderJson'
  | 'InvalidMetadata'
  | 'UnknownDtype'
  | 'InvalidShape'
  | 'InvalidOffset'
  | 'ValidationOverflow'
  | 'MisalignedSlice'
  | 'TensorInvalidInfo'
  | 'MetadataIncompleteBuffer'
  | 'TensorNotFound'
  | 'TruncatedFile'
  | 'UnsupportedDtype'
  | 'NonFiniteValues'
  // checkpoint folders
  | 'NotACheckpoint'
  | 'InvalidConfig'
  | 'InvalidIndex'
  | 'MissingShard'
  | 'UnsafeShardPath'
  | 'DuplicateTensor'
  // pairing checkpoints
  | 'UnpairedTensors'
  | 'ShapeMismatch'
  // model inputs: tokenizer, chat template, images
  | 'InvalidTokenizer'
  | 'InvalidChatTemplate'
  | 'InvalidImage'
  // benchmarks: item files and importers, model responses to score
  | 'InvalidBenchmarkItem'
  | 'InvalidResponses'
  // everything else
  | 'InvalidPlan'
  | 'PlanMismatch'
  | 'FileExists'
  | 'InvalidArgument'
  // a command whose memory plan exceeds the budget (src/core/model/memoryPlan.ts)
  | 'MemoryBudget'
  | 'Cancelled'
  | 'WorkerFailed'
  // what the tool writes (src/core/outputFolder.ts, outputLock.ts, atomicWrite.ts): another writer
  // holds the output folder; a write failed for lack of space, or on a read-only or forbidden path
  | 'OutputLocked'
  | 'DiskFull'
  | 'NotWritable'
  // hostile input (src/core/regularFile.ts): a FIFO, device or folder where a file belongs, a file
  // over the size limit for its kind, nesting deeper than the readers follow
  | 'NotARegularFile'
  | 'FileTooLarge'
  | 'TooDeeplyNested';

export class FrankenlensError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly file?: string,
    readonly tensor?: string,
  ) {
    super(message);
    this.name = 'FrankenlensError';
  }

  /** A plain object that survives structured cloning (worker threads, webview messages). */
  toJSON(): SerializedError {
    return { code: this.code, message: this.message, file: this.file, tensor: this.tensor };
  }

  static fromJSON(value: SerializedError): FrankenlensError {
    return new FrankenlensError(value.code, value.message, value.file, value.tensor);
  }
}

export interface SerializedError {
  code: ErrorCode;
  message: string;
  file?: string;
  tensor?: string;
}

export function isFrankenlensError(value: unknown): value is FrankenlensError {
  return value instanceof FrankenlensError;
}

export function cancelledError(): FrankenlensError {
  return new FrankenlensError('Cancelled', 'cancelled');
}
