import diagnostics_channel from 'node:diagnostics_channel';
import type { Peer, SipTransport, TransportProtocol } from '../transport/transport.js';

/**
 * Observability of the SIP stack: `node:diagnostics_channel` channels for every message sent and received
 * (`mdh:sip:send`, `mdh:sip:receive`: APM tools subscribe without touching the application), a per-stack trace
 * hook, a logger option (a `(level, event, fields)` function or any pino-compatible object) and a trace
 * formatter (start line and headers, like `sipp -trace_msg`).
 */

/** One SIP message on the wire, as published on the channels and handed to trace hooks. */
export interface SipTraceEvent {
  direction: 'send' | 'receive';
  /** The bytes as sent or received. */
  data: Uint8Array;
  /** The far end. */
  peer: Peer;
  protocol: TransportProtocol;
  /** Our side, `address:port`. */
  local: string;
}

/** Channel of every message a stack sends. */
export const sipSendChannel = diagnostics_channel.channel('mdh:sip:send');
/** Channel of every message a stack receives (before parsing; malformed ones too). */
export const sipReceiveChannel = diagnostics_channel.channel('mdh:sip:receive');

/** @internal Publishes one message to the channel (only when someone listens) and to the stack's hook. */
export function traceMessage(
  direction: 'send' | 'receive',
  data: Uint8Array,
  peer: Peer,
  t: SipTransport,
  hook: ((e: SipTraceEvent) => void) | undefined,
): void {
  const ch = direction === 'send' ? sipSendChannel : sipReceiveChannel;
  if (!ch.hasSubscribers && !hook) return;
  const e: SipTraceEvent = { direction, data, peer, protocol: t.protocol, local: `${t.localAddress}:${t.localPort}` };
  if (ch.hasSubscribers) {
    try {
      ch.publish(e);
    } catch {
      // a subscriber's exception is its own; the stack goes on
    }
  }
  if (hook) {
    try {
      hook(e);
    } catch {}
  }
}

/** Log levels. */
export type SipLogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error';
/** A logger function. */
export type SipLogFn = (level: SipLogLevel, event: string, fields: Record<string, unknown>) => void;
/** A pino-compatible logger: `logger.info(fields, msg)`. */
export type PinoLike = { [K in SipLogLevel]?: (fields: Record<string, unknown>, msg?: string) => void };
/** The `logger` option: a function or a pino-compatible object. */
export type SipLogger = SipLogFn | PinoLike;

/** Normalizes a logger option to a function that never throws. */
export function toLogFn(l: SipLogger | undefined): SipLogFn | undefined {
  if (!l) return undefined;
  if (typeof l === 'function') {
    return (level, event, fields) => {
      try {
        l(level, event, fields);
      } catch {}
    };
  }
  return (level, event, fields) => {
    const f = l[level] ?? l.info;
    try {
      f?.call(l, { event, ...fields }, event);
    } catch {}
  };
}

const decoder = new TextDecoder();

/** The start line and headers of a traced message (the body is summarized by its length), for `-v` output. */
export function formatTrace(e: SipTraceEvent): string {
  const text = decoder.decode(e.data.subarray(0, 16_384));
  const end = text.search(/\r?\n\r?\n/);
  const head = (end >= 0 ? text.slice(0, end) : text).replace(/\r\n/g, '\n');
  const arrow = e.direction === 'send' ? '>>' : '<<';
  const who = `${e.peer.address.includes(':') ? `[${e.peer.address}]` : e.peer.address}:${e.peer.port}`;
  return `${arrow} ${e.direction === 'send' ? 'to' : 'from'} ${who} (${e.protocol}, ${e.data.length} bytes)\n${head}\n\n`;
}
