/** Transport protocols of the stack (RFC 3261 §18, RFC 7118 for WebSocket). */
export type TransportProtocol = 'udp' | 'tcp' | 'tls' | 'ws' | 'wss';

/** A network peer. */
export interface Peer {
  address: string;
  port: number;
}

/** Counters every transport keeps. */
export interface TransportStats {
  /** Messages (datagrams or framed stream messages) received. */
  received: number;
  /** Messages sent. */
  sent: number;
  /** Inbound data dropped: malformed, too large, or over a limit. */
  dropped: number;
  /** Send failures. */
  sendErrors: number;
  /** Open connections (stream transports). */
  connections: number;
}

/** One inbound message, still as bytes, with where it came from. */
export interface InboundPacket {
  /** One whole SIP message (datagram, or one framed message of a stream). */
  data: Uint8Array;
  source: Peer;
  transport: SipTransport;
  /** Stream transports: the connection it arrived on (responses go back on it, RFC 3261 §18.2.2). */
  flow?: string;
  /** The message, when the transport already parsed it while framing. */
  message?: import('../message/message.js').SipMessage;
}

/** A SIP transport: sends and receives whole messages. */
export interface SipTransport {
  readonly protocol: TransportProtocol;
  /** TCP, TLS, WS and WSS are reliable (no retransmissions, RFC 3261 §17.1.1.2). */
  readonly reliable: boolean;
  /** Whether the transport is secure (TLS, WSS). */
  readonly secure: boolean;
  /** Bound address. */
  readonly localAddress: string;
  /** Bound port. */
  readonly localPort: number;
  readonly stats: TransportStats;
  /**
   * Sends one message to `dest` (stream transports reuse the connection of `flow` when it is open, else
   * one to `dest`, else connect). Resolves when handed to the OS; rejects with a transport error.
   */
  send(data: Uint8Array, dest: Peer, flow?: string): Promise<void>;
  /**
   * Optional fire-and-forget send (the hot path of datagram transports: no promise per message);
   * `onError` is called on a transport error, synchronously or later.
   */
  post?(data: Uint8Array, dest: Peer, flow: string | undefined, onError: () => void): void;
  /** Registers the receiver of inbound messages (one receiver). */
  onPacket(cb: (p: InboundPacket) => void): void;
  /** Stops listening and closes connections. */
  close(): Promise<void>;
}

/** Via transport token for a protocol (RFC 3261 §20.42, RFC 7118 §5.1). */
export function viaTransport(p: TransportProtocol): string {
  return p.toUpperCase();
}

/** Default port of a protocol (RFC 3261 §19.1.2: 5060, 5061 for TLS; RFC 7118 gives none: 80/443 are HTTP's). */
export function defaultPort(p: TransportProtocol): number {
  return p === 'tls' ? 5061 : p === 'ws' ? 80 : p === 'wss' ? 443 : 5060;
}

/** Transport error (connect refused, socket closed...). */
export class SipTransportError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'SipTransportError';
    this.code = code;
  }
}

/** A fresh stats object. */
export function newTransportStats(): TransportStats {
  return { received: 0, sent: 0, dropped: 0, sendErrors: 0, connections: 0 };
}
