import { constants as osConstants } from 'node:os';

const ERRNO = osConstants.errno as Record<string, number | undefined>;

/**
 * A typed socket failure: `code` is the OS error name (`EADDRINUSE`, `ECONNREFUSED`, `ETIMEDOUT`...)
 * or one of ours (`ERR_SOCKET_CLOSED`, `ERR_UNSUPPORTED`, a TLS verification code), `op` is the
 * operation that failed (`bind`, `connect`, `send`, `recv`, `listen`, `handshake`, `setOption`...),
 * and `errno` is the numeric OS errno when the code is an OS one, otherwise -1.
 *
 * @example
 * try { await connectTcp({ host: '127.0.0.1', port: 1 }); }
 * catch (e) { if (e instanceof SocketError && e.code === 'ECONNREFUSED') retryLater(); }
 */
export class SocketError extends Error {
  /** OS error name or an `ERR_*` code of ours. */
  readonly code: string;
  /** The operation that failed. */
  readonly op: string;
  /** Numeric OS errno (e.g. 98 for EADDRINUSE on Linux), or -1 when the failure is not from the OS. */
  readonly errno: number;

  constructor(code: string, op: string, message?: string, options?: { cause?: unknown }) {
    super(`${op}: ${message ?? code}`, options);
    this.name = 'SocketError';
    this.code = code;
    this.op = op;
    this.errno = errnoOf(code);
  }
}

/**
 * The platform or this Node version cannot do what was asked (e.g. `SO_REUSEPORT` on a UDP socket
 * under Node 20, or IP TTL on a TCP socket). `code` is `ERR_UNSUPPORTED`.
 *
 * @example
 * try { sock.setReusePort(true); } catch (e) { if (e instanceof UnsupportedError) console.warn(e.message); }
 */
export class UnsupportedError extends SocketError {
  constructor(op: string, message: string) {
    super('ERR_UNSUPPORTED', op, message);
    this.name = 'UnsupportedError';
  }
}

/** Numeric errno for an OS error name, or -1. */
export function errnoOf(code: string): number {
  const n = ERRNO[code];
  return typeof n === 'number' ? n : -1;
}

/**
 * Wraps anything thrown or emitted by node:net/dgram/tls into a {@link SocketError} carrying its
 * code and the operation. A SocketError passes through unchanged.
 */
export function toSocketError(err: unknown, op: string): SocketError {
  if (err instanceof SocketError) return err;
  if (err instanceof Error) {
    const code = (err as NodeJS.ErrnoException).code;
    return new SocketError(typeof code === 'string' ? code : 'ERR_SOCKET', op, err.message, { cause: err });
  }
  return new SocketError('ERR_SOCKET', op, String(err));
}

/** Throws a `RangeError` unless `port` is an integer in 0..65535 (API misuse). */
export function checkPort(port: unknown, what = 'port'): number {
  if (typeof port !== 'number' || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`${what} must be an integer in 0..65535, got ${String(port)}`);
  }
  return port;
}

/** Throws a `TypeError` unless `host` is a non-empty string without spaces or NULs (API misuse). */
export function checkHost(host: unknown, what = 'host'): string {
  if (typeof host !== 'string' || host.length === 0 || host.length > 253 + 2 || /[\s\0]/.test(host)) {
    throw new TypeError(`${what} must be a non-empty host name or IP literal, got ${JSON.stringify(host)}`);
  }
  return host;
}

/** Throws a `RangeError` unless `ms` is a finite number >= 0. */
export function checkTimeout(ms: unknown, what = 'timeoutMs'): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw new RangeError(`${what} must be a finite number >= 0, got ${String(ms)}`);
  }
  return ms;
}

/** A view of a Node Buffer (or any Uint8Array) as a plain Uint8Array over the same memory. */
export function asU8(b: Uint8Array): Uint8Array {
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}
