import type { SipRequest } from '../message/message.js';
import type { Registrar } from '../ua/registrar.js';
import type { IncomingRequest } from '../ua/stack.js';
import type { ProxyDecision, ProxyRouter } from './types.js';

/**
 * The router of a proxy with a registrar (RFC 3261 §16.5): the Request-URI's AOR is looked up in the
 * registrar's location store (which may answer asynchronously); its bindings become the targets, higher
 * `q` first and tried one after the other (§16.6), each with its registered Path as Route set (RFC 3327 §5.3).
 * No binding → 404; a non-SIP Request-URI → 416.
 *
 * ```ts
 * const registrar = new Registrar({ now: () => loop.now(), store: myRedisStore });
 * const proxy = createProxy({ transports, registrar, domains: ['example.com'] }); // uses locationRouter(registrar)
 * ```
 */
export function locationRouter(registrar: Registrar): ProxyRouter {
  return async (req: SipRequest): Promise<ProxyDecision> => {
    const u = req.requestUri;
    if (u.kind !== 'sip') return { reject: 416 };
    const bindings = await registrar.find(u);
    if (!bindings.length) return { reject: 404 };
    return {
      targets: bindings.map((b) => ({ uri: b.contact, q: b.q ?? 1, ...(b.path ? { route: b.path } : {}) })),
      fork: 'sequential',
    };
  };
}

/**
 * Answers a REGISTER through a registrar whose store may be asynchronous (RFC 3261 §10.3); a failing store
 * answers 500 and is reported to `onError`.
 */
export function answerRegister(inc: IncomingRequest, registrar: Registrar, onError: (e: unknown) => void): void {
  registrar.process(inc.request, `${inc.source.address}:${inc.source.port}`).then(
    (res) => {
      if (!inc.answered) inc.respond(res);
    },
    (e) => {
      onError(e);
      if (!inc.answered) inc.reply(500, { reason: 'Server Internal Error (location store)' });
    },
  );
}
