/**
 * Tells why a TLS (or WSS) call could not be set up: the SIP transport turns a failed TLS handshake into a bare
 * `503` (RFC 3261 §8.1.3.1: a transport error is treated as a 503), which hides the reason. This probe runs one
 * TLS handshake to the first RFC 3263 target beside the INVITE, with the same trust settings, and reports a
 * failure as `TLS handshake failed: <reason>` (a certificate that does not verify, a peer that does not speak TLS,
 * no handshake in time).
 */
import { connectTls, SocketError } from '@mdh/loop';
import { type SipTarget, sipResolve } from '@mdh/sip';
import { CallSetupError } from './commands/call-setup.js';

/** Options of {@link probeTls}: what the call trusts. */
export interface TlsProbeOptions {
  ca?: string | undefined;
  insecure?: boolean;
  /** Give up (resolve undefined) after this long (default 5000 ms, the SIP transport's connect timeout). */
  timeoutMs?: number;
}

/**
 * For a `tls`/`wss` target: resolves to a {@link CallSetupError} with code `tls` when the TLS handshake fails,
 * else undefined (also for other transports, a refused connection — probeRefused's case — or no answer).
 */
export async function probeTls(
  uri: string,
  transport: string | undefined,
  o: TlsProbeOptions = {},
): Promise<CallSetupError | undefined> {
  let t: SipTarget | undefined;
  try {
    [t] = await sipResolve(uri, transport ? { transport: transport as SipTarget['transport'] } : {});
  } catch {
    return undefined;
  }
  if (!t || (t.transport !== 'tls' && t.transport !== 'wss')) return undefined;
  const where = `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}`;
  try {
    const c = await connectTls({
      host: t.host,
      port: t.port,
      timeoutMs: o.timeoutMs ?? 5000,
      ...(o.ca !== undefined ? { ca: o.ca } : {}),
      ...(o.insecure ? { insecure: true } : {}),
    });
    void c.close();
    return undefined;
  } catch (e) {
    if (!(e instanceof SocketError) || e.op !== 'handshake') return undefined;
    return new CallSetupError('tls', `TLS handshake failed: ${e.message.replace(/^handshake: /, '')} (${where})`);
  }
}

/** The first of `probes` to find an error (undefined once all found none). */
export function firstSetupError(...probes: Promise<CallSetupError | undefined>[]): Promise<CallSetupError | undefined> {
  return new Promise((resolve) => {
    let left = probes.length;
    if (left === 0) resolve(undefined);
    for (const p of probes) {
      p.then(
        (e) => {
          if (e) resolve(e);
          else if (--left === 0) resolve(undefined);
        },
        () => {
          if (--left === 0) resolve(undefined);
        },
      );
    }
  });
}
