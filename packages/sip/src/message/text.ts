// Octet ↔ text helpers of the message parser (Latin-1 views of the input, UTF-8 re-reads).
/** @internal Node's Buffer, when present (the parser also runs without it). */
export const NodeBuffer = (
  globalThis as unknown as {
    Buffer?: {
      from(
        b: ArrayBufferLike,
        o: number,
        l: number,
      ): { latin1Slice(s: number, e: number): string; indexOf(s: string, from: number): number };
      byteLength(s: string, enc: 'utf8'): number;
    };
  }
).Buffer;
/** @internal Node's native Latin-1 decoder, called directly on a Uint8Array (no Buffer object per message). */
export const nativeLatin1 = (
  NodeBuffer as unknown as { prototype?: { latin1Slice?: (this: Uint8Array, s: number, e: number) => string } }
)?.prototype?.latin1Slice;
const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/** @internal */
export const utf8Enc = new TextEncoder();

/** Decodes bytes as Latin-1 (one char per octet). @internal */
export function latin1(b: Uint8Array, start: number, end: number): string {
  if (nativeLatin1 !== undefined) return nativeLatin1.call(b, start, end);
  let r = '';
  for (let i = start; i < end; i += 8192) {
    r += String.fromCharCode.apply(null, Array.from(b.subarray(i, Math.min(end, i + 8192))));
  }
  return r;
}

/** Re-reads a Latin-1 string holding UTF-8 octets as UTF-8 (kept as Latin-1 when not valid UTF-8). @internal */
export function latin1ToUtf8(s: string): string {
  const b = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) b[i] = s.charCodeAt(i);
  try {
    return utf8Fatal.decode(b);
  } catch {
    return s;
  }
}
