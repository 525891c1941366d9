/** Thrown when a read or write would go past the end of a buffer, or a value does not fit its width. */
export class BytesRangeError extends RangeError {
  override readonly name = 'BytesRangeError';
  constructor(
    message: string,
    /** Offset at which the access was attempted. */
    readonly offset: number,
    /** Width of the access in bytes. */
    readonly width: number,
    /** Length of the buffer. */
    readonly length: number,
  ) {
    super(message);
  }
}

/** Thrown by the text decoders (hex, base64) when the input is not well formed. */
export class BytesFormatError extends Error {
  override readonly name = 'BytesFormatError';
  constructor(
    message: string,
    /** Index in the input string of the first offending character, or -1. */
    readonly index: number,
  ) {
    super(message);
  }
}

export function overRead(offset: number, width: number, length: number): BytesRangeError {
  return new BytesRangeError(
    `read of ${width} byte(s) at offset ${offset} past end of ${length}-byte buffer`,
    offset,
    width,
    length,
  );
}

export function overWrite(offset: number, width: number, length: number): BytesRangeError {
  return new BytesRangeError(
    `write of ${width} byte(s) at offset ${offset} past end of ${length}-byte buffer`,
    offset,
    width,
    length,
  );
}
