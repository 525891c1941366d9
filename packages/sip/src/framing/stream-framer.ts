import type { CoreOutput } from '@mdh/loop';
import { SipParseError } from '../message/errors.js';
import type { SipMessage } from '../message/message.js';
import { latin1, type ParseOptions, parseMessage } from '../message/parse.js';

/** Options of {@link StreamFramer}. */
export interface StreamFramerOptions {
  /** Largest header section in octets (default 65536); beyond it the stream is unrecoverable (413, close). */
  maxHeaderBytes?: number;
  /** Largest Content-Length accepted (default 4 MiB); beyond it: 413 and close. */
  maxBodyBytes?: number;
  /** Options passed to {@link parseMessage} for each framed message (transport is forced to `stream`). */
  parse?: Omit<ParseOptions, 'transport'>;
}

/** What {@link StreamFramer.push} yields. */
export type FramerEvent =
  /** A whole message; `bytes` are exactly its octets. */
  | { type: 'message'; message: SipMessage; bytes: Uint8Array }
  /** RFC 5626 §4.4.1 keep-alive: `ping` (CRLFCRLF, answer with a CRLF pong) or `pong` (a lone CRLF). */
  | { type: 'keepalive'; kind: 'ping' | 'pong' }
  /**
   * A framing or parse error. `fatal: false`: the bad message was skipped and framing continues (a server
   * may answer `error.status`); `fatal: true`: framing is lost (bad/duplicate Content-Length, oversize
   * header or body) — close the connection. After a fatal error every push yields nothing. `bytes` of a fatal
   * error are the start of the offending message (at most the header limit), so that a server can answer it
   * (RFC 3261 §18.3: `413` for an oversized one, `400` for a malformed Content-Length) before closing.
   */
  | { type: 'error'; error: SipParseError; fatal: boolean; bytes?: Uint8Array };

/**
 * One output of {@link StreamFramer.pollOutput} (the sans-I/O union, docs/design.md): a {@link FramerEvent}, or a
 * datagram to write back on the same connection — the CRLF pong that answers a CRLFCRLF ping (RFC 5626 §4.4.1).
 * The framer has no timers, so it yields no deadlines.
 */
export type FramerOutput = CoreOutput<FramerEvent>;

/** The CRLF pong (RFC 5626 §4.4.1); shared, never written to. */
const PONG = Uint8Array.of(13, 10);

const CL_LINE = /^(?:content-length|l)[ \t]*:[ \t]*(.*?)[ \t]*$/i;

/**
 * Incremental framer for SIP over TCP/TLS (RFC 3261 §18.3): feed it chunks of any size, get whole messages.
 * Bounded: it never buffers more than one header section plus one body within the configured limits.
 *
 * Sans-I/O: {@link StreamFramer.handleInput} takes a chunk and {@link StreamFramer.pollOutput} yields what it
 * completed — events, and the pong to write for each ping. {@link StreamFramer.push} is the shortcut for a
 * reader that only wants the events.
 *
 * @example
 * const f = new StreamFramer();
 * conn.onData((chunk) => {
 *   f.handleInput(chunk);
 *   for (let o = f.pollOutput(); o; o = f.pollOutput()) {
 *     if (o.kind === 'datagram') conn.write(o.data);
 *     else if (o.kind === 'event' && o.event.type === 'message') handle(o.event.message);
 *   }
 * });
 */
export class StreamFramer {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;
  private dead = false;
  /** Octets after `start` already searched for the end of the header section (resume point, item 7). */
  private scanned = 0;
  /** Length of the message at `start` once its header section is known (0: not yet known). */
  private need = 0;
  private readonly maxHeader: number;
  private readonly maxBody: number;
  private readonly parseOpts: ParseOptions;
  private readonly outputs: FramerOutput[] = [];
  /** Counters: messages framed, errors, keep-alives. */
  readonly stats = { messages: 0, errors: 0, keepalives: 0, octets: 0, scannedOctets: 0 };

  /** @param opts limits and parse options */
  constructor(opts: StreamFramerOptions = {}) {
    this.maxHeader = opts.maxHeaderBytes ?? 65536;
    this.maxBody = opts.maxBodyBytes ?? 4 * 1024 * 1024;
    this.parseOpts = { ...(opts.parse ?? {}), transport: 'stream' };
  }

  /** Octets currently buffered (a partial message). */
  get buffered(): number {
    return this.end - this.start;
  }

  /** True after a fatal error (the connection should be closed). */
  get closed(): boolean {
    return this.dead;
  }

  /** Drops any buffered partial message and clears the fatal state. */
  reset(): void {
    this.buf = new Uint8Array(0);
    this.start = 0;
    this.end = 0;
    this.dead = false;
    this.scanned = 0;
    this.need = 0;
    this.outputs.length = 0;
  }

  /**
   * Feeds a chunk; what it completes is queued for {@link StreamFramer.pollOutput}: each event, and after each
   * `ping` keep-alive the CRLF pong datagram that answers it (RFC 5626 §4.4.1).
   */
  handleInput(chunk: Uint8Array): void {
    for (const event of this.push(chunk)) {
      this.outputs.push({ kind: 'event', event });
      if (event.type === 'keepalive' && event.kind === 'ping') this.outputs.push({ kind: 'datagram', data: PONG });
    }
  }

  /** The next queued output, or `undefined` when there is none. */
  pollOutput(): FramerOutput | undefined {
    return this.outputs.shift();
  }

  /**
   * Feeds a chunk; returns the events it completes, in order (nothing is queued for
   * {@link StreamFramer.pollOutput}: a caller that answers pings uses {@link StreamFramer.handleInput}).
   */
  push(chunk: Uint8Array): FramerEvent[] {
    const out: FramerEvent[] = [];
    if (this.dead) return out;
    this.stats.octets += chunk.length;
    this.append(chunk);
    for (let guard = 0; guard < 1_000_000; guard++) {
      if (!this.step(out)) break;
    }
    return out;
  }

  private append(chunk: Uint8Array): void {
    const len = this.end - this.start;
    if (this.end + chunk.length > this.buf.length) {
      const need = len + chunk.length;
      if (need <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const nb = new Uint8Array(Math.max(need, Math.min(this.buf.length * 2, need + 65536), 1024));
        nb.set(this.buf.subarray(this.start, this.end), 0);
        this.buf = nb;
      }
      this.start = 0;
      this.end = len;
    }
    this.buf.set(chunk, this.end);
    this.end += chunk.length;
  }

  private fatal(out: FramerEvent[], reason: string, message: string, status = 400): false {
    this.stats.errors++;
    const bytes = this.buf.slice(this.start, Math.min(this.end, this.start + this.maxHeader));
    out.push({ type: 'error', error: new SipParseError(reason, message, -1, status), fatal: true, bytes });
    this.dead = true;
    this.buf = new Uint8Array(0);
    this.start = 0;
    this.end = 0;
    this.scanned = 0;
    this.need = 0;
    return false;
  }

  /**
   * Finds the empty line ending the header section of the message at `start`, resuming where the previous
   * call stopped, so that a header fed in small chunks is scanned once (linear, not quadratic). Returns
   * [index of the empty line, index of the body] or undefined.
   */
  private headerEnd(): [number, number] | undefined {
    const s = this.start;
    const e = this.end;
    const limit = Math.min(e, s + this.maxHeader + 4);
    // the view ends at `limit` so that indexOf never runs into the spare capacity (stale octets)
    const b = this.buf.subarray(0, limit);
    let i = s + this.scanned;
    const from = i;
    let found: [number, number] | undefined;
    while (i < limit) {
      const n = b.indexOf(10, i);
      if (n < 0) {
        i = limit;
        break;
      }
      // n is a LF; the next line is empty if followed by LF or CRLF
      if (n + 1 >= limit) {
        i = n;
        break;
      }
      const a = b[n + 1];
      if (a === 10) {
        found = [n + 1, n + 2];
        break;
      }
      if (a === 13) {
        if (n + 2 >= limit) {
          i = n;
          break;
        }
        if (b[n + 2] === 10) {
          found = [n + 1, n + 3];
          break;
        }
      }
      i = n + 1;
    }
    this.stats.scannedOctets += (found ? found[1] : i) - from;
    if (!found) this.scanned = i - s;
    return found;
  }

  /** Consumes `n` octets at `start` (a message or a keep-alive): the next scan starts afresh. */
  private consume(n: number): void {
    this.start += n;
    this.scanned = 0;
    this.need = 0;
  }

  /** Frames one item; returns false when more input is needed. */
  private step(out: FramerEvent[]): boolean {
    const b = this.buf;
    const s = this.start;
    const e = this.end;
    if (s >= e) return false;
    // RFC 5626 §4.4.1 keep-alives between messages: CRLFCRLF = ping, CRLF = pong
    if (b[s] === 13 || b[s] === 10) {
      if (b[s] === 13 && s + 1 >= e) return false;
      if (b[s] === 13 && b[s + 1] === 10 && s + 3 < e && b[s + 2] === 13 && b[s + 3] === 10) {
        this.consume(4);
        this.stats.keepalives++;
        out.push({ type: 'keepalive', kind: 'ping' });
        return true;
      }
      if (b[s] === 13 && b[s + 1] === 10) {
        if (s + 2 === e || (s + 3 === e && b[s + 2] === 13)) {
          if (s + 3 === e) return false; // maybe the start of a ping
          this.consume(2);
          this.stats.keepalives++;
          out.push({ type: 'keepalive', kind: 'pong' });
          return true;
        }
        this.consume(2);
        this.stats.keepalives++;
        out.push({ type: 'keepalive', kind: 'pong' });
        return true;
      }
      // bare LF: skip it
      this.consume(1);
      return true;
    }
    // the header section was already framed: only the body is awaited (O(1) per push)
    if (this.need > 0) {
      if (s + this.need > e) return false;
      return this.emit(out, s + this.need);
    }
    const he = this.headerEnd();
    if (!he) {
      if (e - s > this.maxHeader) return this.fatal(out, 'headers-too-large', 'header section exceeds the limit', 413);
      return false;
    }
    const [emptyLine, bodyStart] = he;
    // Content-Length from the header lines (RFC 3261 §18.3: mandatory on streams; when absent the message
    // is framed with an empty body and reported as a non-fatal error by parseMessage)
    const head = latin1(b, s, emptyLine);
    let cl = -1;
    let pos = head.indexOf('\n') + 1;
    while (pos > 0 && pos < head.length) {
      const c = head.charCodeAt(pos);
      if (c === 67 || c === 99 || c === 76 || c === 108) {
        let nl = head.indexOf('\n', pos);
        if (nl < 0) nl = head.length;
        // include folded continuation lines
        let full = head.slice(pos, nl).replace(/\r$/, '');
        while (nl + 1 < head.length && (head.charCodeAt(nl + 1) === 32 || head.charCodeAt(nl + 1) === 9)) {
          let n2 = head.indexOf('\n', nl + 1);
          if (n2 < 0) n2 = head.length;
          full += ` ${head
            .slice(nl + 1, n2)
            .replace(/\r$/, '')
            .trim()}`;
          nl = n2;
        }
        const m = CL_LINE.exec(full);
        if (m) {
          const v = m[1] ?? '';
          if (!/^\d{1,10}$/.test(v))
            return this.fatal(out, 'bad-content-length', `malformed Content-Length '${v.slice(0, 20)}'`);
          const n = Number(v);
          if (cl >= 0 && n !== cl)
            return this.fatal(out, 'content-length-conflict', 'several different Content-Length values');
          cl = n;
        }
      }
      const nx = head.indexOf('\n', pos);
      if (nx < 0) break;
      pos = nx + 1;
    }
    const bodyLen = Math.max(cl, 0);
    if (bodyLen > this.maxBody)
      return this.fatal(out, 'body-too-large', `Content-Length ${bodyLen} exceeds the limit`, 413);
    const total = bodyStart + bodyLen;
    if (total > e) {
      this.need = total - s;
      return false;
    }
    return this.emit(out, total);
  }

  /** Emits the message at `start` that ends at `total`. */
  private emit(out: FramerEvent[], total: number): true {
    const bytes = this.buf.slice(this.start, total);
    this.consume(total - this.start);
    try {
      const message = parseMessage(bytes, this.parseOpts);
      this.stats.messages++;
      out.push({ type: 'message', message, bytes });
    } catch (err) {
      if (!(err instanceof SipParseError)) throw err;
      // the framing was sound: skip this message and resynchronise on the next one
      this.stats.errors++;
      out.push({ type: 'error', error: err, fatal: false, bytes });
    }
    if (this.start === this.end) {
      this.start = 0;
      this.end = 0;
    }
    return true;
  }
}
