import { LAZY_LIST } from './header-names.js';
import type { SipMessage } from './message.js';

let scratch = new Uint8Array(4096);
const enc = new TextEncoder();

/**
 * Builds the start line and header section as a string, Content-Length set to the real body length
 * in octets (RFC 3261 §18.3, §20.14) at the position of the first Content-Length (else last).
 * @internal
 */
export function serializeHead(msg: SipMessage): string {
  // plain `+=` appends measure faster than template literals here
  let s =
    msg.kind === 'request'
      ? msg.method + ' ' + msg.uri + ' ' + msg.version + '\r\n'
      : msg.version + ' ' + msg.status + ' ' + msg.reason + '\r\n';
  const n = msg._n;
  const k = msg._k;
  const v = msg._v;
  let wroteCl = false;
  // Consecutive elements of a list header that the parser keeps unsplit (Supported, Allow, Accept...) are
  // written comma-joined on one line (RFC 3261 §7.3.1), as they usually arrive: one line per element would
  // turn 600 tokens on 8 lines into 600 lines, over the parser's header-count limit — what parses must
  // serialise into something that parses. Via, Contact, Route and Record-Route keep one value per line.
  let open = false;
  for (let i = 0; i < n.length; i++) {
    const key = k[i]!;
    const val = v[i]!;
    if (open && key === k[i - 1] && val !== '') {
      s += ', ';
      s += val;
      continue;
    }
    if (open) {
      s += '\r\n';
      open = false;
    }
    if (key === 'content-length') {
      if (!wroteCl) {
        s += 'Content-Length: ';
        s += msg.body.length;
        s += '\r\n';
        wroteCl = true;
      }
      continue;
    }
    s += n[i];
    s += ': ';
    s += val;
    if (val !== '' && LAZY_LIST.has(key)) open = true;
    else s += '\r\n';
  }
  if (open) s += '\r\n';
  if (!wroteCl) {
    s += 'Content-Length: ';
    s += msg.body.length;
    s += '\r\n';
  }
  return s + '\r\n';
}

const SLAB_SIZE = 65536;
let slab = new ArrayBuffer(SLAB_SIZE);
let slabView = new Uint8Array(slab);
let slabOff = 0;

/**
 * Serialises a message to bytes: header values UTF-8 encoded, unknown headers preserved, every list
 * element on its own line, Content-Length always the body's length in octets.
 *
 * Small results are views into a shared 64 KiB slab (like Node's Buffer pool) to avoid a backing-store
 * allocation per message: use `byteOffset`/`byteLength`, not `.buffer` alone.
 *
 * @example serializeMessage(createResponse(req, 200)) // Uint8Array
 */
export function serializeMessage(msg: SipMessage): Uint8Array {
  const head = serializeHead(msg);
  const body = msg.body;
  const worst = head.length * 3 + body.length;
  if (worst > 8192) {
    const need = head.length * 3;
    if (scratch.length < need) scratch = new Uint8Array(Math.max(need, scratch.length * 2));
    const { written } = enc.encodeInto(head, scratch);
    const out = new Uint8Array(written + body.length);
    out.set(scratch.subarray(0, written), 0);
    out.set(body, written);
    return out;
  }
  if (slabOff + worst > SLAB_SIZE) {
    slab = new ArrayBuffer(SLAB_SIZE);
    slabView = new Uint8Array(slab);
    slabOff = 0;
  }
  const start = slabOff;
  const { written } = enc.encodeInto(head, slabView.subarray(start, start + head.length * 3));
  if (body.length > 0) slabView.set(body, start + written);
  const len = written + body.length;
  // keep 8-byte alignment for the next message
  slabOff = (start + len + 7) & ~7;
  return new Uint8Array(slab, start, len);
}

/** Serialises a message to a string (body decoded as UTF-8) — handy for logs and tests. */
export function messageToString(msg: SipMessage): string {
  return serializeHead(msg) + new TextDecoder().decode(msg.body);
}
