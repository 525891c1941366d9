/**
 * Call setup helpers for `mdh call`: a deadline on the INVITE transaction as the user sees it
 * (`--timeout`), progress lines (`trying…`, `ringing…`), and a probe that tells "connection refused"
 * (ICMP port unreachable on UDP, RST on TCP) from "no answer", so a call to a closed port fails at once
 * with the real reason instead of a 503 or a 32 s wait for Timer B (RFC 3261 §17.1.1.2).
 */
import { connectTcp, createUdpSocket, SocketError } from '@mdh/loop';
import { type SipTarget, sipResolve } from '@mdh/sip';

/** Why call setup ended without a final response. */
export class CallSetupError extends Error {
  override readonly name = 'CallSetupError';
  /** `timeout` (no final response in time) or the socket error code (`ECONNREFUSED`, …). */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

/**
 * Waits for `result` (the INVITE's outcome) but no longer than `timeoutS` seconds and no longer than
 * `refused` takes to find the peer refusing: rejects with a {@link CallSetupError} in those cases.
 */
export async function withSetupDeadline<T>(
  result: Promise<T>,
  timeoutS: number | undefined,
  refused?: Promise<CallSetupError | undefined>,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const racers: Promise<T>[] = [result];
  if (timeoutS !== undefined) {
    racers.push(
      new Promise<T>((_, reject) => {
        timer = setTimeout(
          () => reject(new CallSetupError('timeout', `no final response within ${timeoutS} s (--timeout)`)),
          timeoutS * 1000,
        );
      }),
    );
  }
  if (refused) racers.push(refused.then((e) => (e ? Promise.reject(e) : new Promise<T>(() => {}))));
  try {
    return await Promise.race(racers);
  } finally {
    if (timer) clearTimeout(timer);
  }
}

/**
 * Probes the first RFC 3263 target of `uri` on its transport: a TCP/TLS connect, or a UDP CRLF
 * keep-alive (RFC 5626 §4.4.1) on a connected socket, which makes the kernel report an ICMP port
 * unreachable as ECONNREFUSED. Resolves to the error when the peer refused, else undefined (also when
 * it cannot tell within `waitMs`; the call itself goes on meanwhile, so waiting longer delays nothing).
 */
export async function probeRefused(
  uri: string,
  transport: string | undefined,
  waitMs = 2000,
): Promise<CallSetupError | undefined> {
  let t: SipTarget | undefined;
  try {
    [t] = await sipResolve(uri, transport ? { transport: transport as SipTarget['transport'] } : {});
  } catch {
    return undefined;
  }
  if (!t) return undefined;
  const where = `${t.host.includes(':') ? `[${t.host}]` : t.host}:${t.port}/${t.transport}`;
  const refused = (code: string) =>
    new CallSetupError(
      code,
      `${code === 'ECONNREFUSED' ? 'connection refused' : code} by ${where} (${code}): nothing is listening there`,
    );
  if (t.transport === 'tcp' || t.transport === 'tls' || t.transport === 'ws' || t.transport === 'wss') {
    try {
      const c = await connectTcp({ host: t.host, port: t.port, timeoutMs: waitMs });
      c.end();
      return undefined;
    } catch (e) {
      return e instanceof SocketError && e.code === 'ECONNREFUSED' ? refused(e.code) : undefined;
    }
  }
  const s = await createUdpSocket({
    address: t.host.includes(':') ? '::' : '0.0.0.0',
    connect: { port: t.port, address: t.host },
  });
  try {
    const deadline = Date.now() + waitMs;
    s.send(new Uint8Array([13, 10, 13, 10]));
    for (;;) {
      await new Promise((r) => setTimeout(r, 25));
      // the socket's error event is I/O: let it be delivered before looking (a starved process may wake up
      // after the deadline with the ICMP error still queued)
      await new Promise((r) => setImmediate(r));
      if (s.lastError?.code === 'ECONNREFUSED') return refused('ECONNREFUSED');
      if (Date.now() >= deadline) return undefined;
    }
  } finally {
    s.close();
  }
}
