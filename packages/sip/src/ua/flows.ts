/**
 * The connections registered contacts came over. A WebSocket client's Contact is not resolvable (RFC 7118 §5: its
 * host is typically a random `*.invalid` name, and a browser cannot accept connections anyway), so requests to it
 * — a new INVITE to the contact the registrar returned, and then the dialog's own in-dialog requests — must go over
 * the connection its REGISTER arrived on (the "flow" of RFC 5626 §3). The same holds for any client registering over
 * TCP or TLS from behind a NAT. Internal to the user agent.
 */
import type { SipRequest } from '../message/message.js';
import type { Registrar } from './registrar.js';
import type { SendTarget } from './stack.js';

/** Most flows remembered (the registrar bounds bindings; this bounds the map beside it). */
const MAX_FLOWS = 100_000;

interface FlowEntry {
  target: SendTarget;
  expiresAt: number;
}

/** Contact URI → the connection its successful REGISTER came over, for as long as the binding lasts. */
export class RegisteredFlows {
  private readonly flows = new Map<string, FlowEntry>();

  /**
   * Notes the flow of a REGISTER that the registrar accepted (call after {@link Registrar.handle} answered 200):
   * each of its contacts that is bound now is reached over `target` until the binding expires; unbound ones are
   * forgotten. Only for connection-oriented transports (a UDP contact is reached at its address).
   */
  note(registrar: Registrar, req: SipRequest, target: SendTarget): void {
    const to = req.to?.uri;
    if (to?.kind !== 'sip' || !target.transport.reliable) return;
    const bound = new Map(registrar.lookup(to).map((b) => [b.contact, b.expiresAt]));
    if (req.contactStar) for (const k of this.flows.keys()) if (!bound.has(k)) this.flows.delete(k);
    for (const c of req.contacts) {
      const until = bound.get(c.uriText);
      this.flows.delete(c.uriText);
      if (until === undefined) continue;
      if (this.flows.size >= MAX_FLOWS) {
        const oldest = this.flows.keys().next();
        if (!oldest.done) this.flows.delete(oldest.value);
      }
      this.flows.set(c.uriText, { target, expiresAt: until });
    }
  }

  /** The connection to reach `uri` (a registered contact, exactly as bound) over, while its binding lasts. */
  lookup(uri: string, now: number): SendTarget | undefined {
    const f = this.flows.get(uri);
    if (!f) return undefined;
    if (f.expiresAt <= now) {
      this.flows.delete(uri);
      return undefined;
    }
    return f.target;
  }
}
