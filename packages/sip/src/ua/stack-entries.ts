// The entries of the SipStack's transaction tables and the request objects it hands to its user (stack.ts).
import { createResponse } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';
import { serializeMessage } from '../message/serialize.js';
import type { ClientInviteTransaction } from '../transaction/client-invite.js';
import type { ClientNonInviteTransaction } from '../transaction/client-non-invite.js';
import type { ServerInviteTransaction } from '../transaction/server-invite.js';
import type { ServerNonInviteTransaction } from '../transaction/server-non-invite.js';
import type { Timed } from '../transaction/timer-queues.js';
import type { InboundPacket, Peer, SipTransport } from '../transport/transport.js';
import type { SipStack } from './stack.js';
import type { ClientRequestHandlers, IncomingRequest, SendTarget } from './stack-types.js';

export type AnyServerTx = ServerInviteTransaction<SipRequest> | ServerNonInviteTransaction<SipRequest>;
export type AnyClientTx = ClientInviteTransaction<SipResponse> | ClientNonInviteTransaction<SipResponse>;

export interface ServerEntry extends Timed {
  tx: AnyServerTx;
  key: string;
  target: SendTarget;
  onAck?: (ack: SipRequest) => void;
  onCancel?: (() => void) | undefined;
  onTimeout?: () => void;
}

export interface ClientEntry extends Timed {
  tx: AnyClientTx;
  key: string;
  handlers: ClientRequestHandlers;
  target: SendTarget;
}

export const noop = (): void => {};

/**
 * A transaction key as a flat string. The parts are slices of the received message's text; a key built by
 * concatenation is a tree over those slices and would keep the whole message alive while the transaction
 * waits out Timer L/J (32 s): the key stored with a transaction is a flat copy.
 */
export function flatKey(s: string): string {
  // slicing a concatenation flattens it first (a fresh flat copy); the result cannot be optimized away
  return `${s} `.slice(0, -1);
}

/** The 100 Trying of an INVITE (§17.2.1), built only when the 200 ms pass without an answer. */
export function tryingBuilder(req: SipRequest): () => Uint8Array {
  return () => serializeMessage(createResponse(req, 100));
}

export const MTU_LIMIT = 1300; // RFC 3261 §18.1.1: MTU (1500) − 200 bytes

/**
 * How a packet's bytes are framed: TCP/TLS are byte streams (Content-Length mandatory, RFC 3261
 * §18.3), while UDP datagrams and WebSocket messages (RFC 7118 §5: one SIP message per WebSocket
 * message) carry exactly one message, so a missing Content-Length means "to the end".
 */
export function framing(t: { reliable: boolean; protocol: string }): 'stream' | 'datagram' {
  return t.reliable && t.protocol !== 'ws' && t.protocol !== 'wss' ? 'stream' : 'datagram';
}

/** The {@link IncomingRequest} the stack hands to its user (one object per new request, no closures). */
export class ServerRequest implements IncomingRequest {
  readonly request: SipRequest;
  readonly source: Peer;
  readonly transport: SipTransport;
  readonly flow?: string;
  answered = false;
  /** @internal */
  readonly _stack: SipStack;
  /** @internal */
  readonly _entry: ServerEntry;

  constructor(stack: SipStack, e: ServerEntry, req: SipRequest, p: InboundPacket) {
    this._stack = stack;
    this._entry = e;
    this.request = req;
    this.source = p.source;
    this.transport = p.transport;
    if (p.flow !== undefined) this.flow = p.flow;
  }

  respond(res: SipResponse): Uint8Array {
    if (this.answered && !(res.status >= 200 && res.status < 300 && this.request.method === 'INVITE')) {
      throw new Error(`request ${this.request.method} already has a final response`);
    }
    if (res.status >= 200) this.answered = true;
    return this._stack._respond(this._entry, res);
  }

  reply(status: number, opts?: Parameters<typeof createResponse>[2]): SipResponse {
    const res = createResponse(this.request, status, opts);
    this.respond(res);
    return res;
  }
}
