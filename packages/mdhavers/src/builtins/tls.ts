/**
 * TLS builtins (SPEC.md §12.7): a TLS session runs over an already connected (or accepted) TCP socket
 * handle. The TCP connection is an @mdh/loop StreamConnection bridged into node:tls.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { Duplex } from 'node:stream';
import type { ConnectionOptions, TLSSocket } from 'node:tls';
import { fail } from '../errors.js';
import { kindOf, MBytes, MDict, truthy, type Value } from '../values.js';
import { argBytes } from './bytes.js';
import { argHandle, type NetState } from './net.js';
import type { Registry } from './registry.js';
import { err, ok } from './result.js';

interface TlsSession {
  mode: 'client' | 'server';
  serverName: string;
  insecure: boolean;
  ca: string | null;
  cert: string | null;
  key: string | null;
  sock: TLSSocket | null;
  queue: Uint8Array[];
  eof: boolean;
  waiters: (() => void)[];
  error: Error | null;
}

function str(d: MDict, k: string): string | null {
  const v = d.get(k);
  return typeof v === 'string' ? v : null;
}

function wake(s: TlsSession): void {
  for (const w of s.waiters.splice(0)) w();
}

/** Registers the TLS builtins. */
export function registerTls(r: Registry, net: NetState): void {
  const sessions = new Map<number, TlsSession>();
  let next = 1;
  r.def('tls_client_new', 1, ([c]) => {
    const cv = c as Value;
    if (cv !== null && !(cv instanceof MDict))
      fail(`tls_client_new() config must be a dict or naething, no' a ${kindOf(cv)}`);
    const cfg = cv ?? new MDict();
    const mode = cfg.get('mode') === 'server' ? 'server' : 'client';
    const s: TlsSession = {
      mode,
      serverName: str(cfg, 'server_name') ?? 'localhost',
      insecure: truthy(cfg.get('insecure') ?? false),
      ca: str(cfg, 'ca_pem'),
      cert: str(cfg, 'cert_pem'),
      key: str(cfg, 'key_pem'),
      sock: null,
      queue: [],
      eof: false,
      waiters: [],
      error: null,
    };
    if (mode === 'server' && (!s.cert || !s.key)) fail("tls_client_new() server mode needs cert_pem an' key_pem");
    try {
      if (s.cert) new X509Certificate(s.cert);
      if (s.key) createPrivateKey(s.key);
      if (s.ca) new X509Certificate(s.ca);
    } catch (e) {
      fail(`tls_client_new() invalid PEM: ${e instanceof Error ? e.message : String(e)}`);
    }
    const id = next++;
    sessions.set(id, s);
    return ok(id);
  });
  registerTlsConnect(r, net, sessions);
  registerTlsIo(r, sessions);
}

/** `tls_connect`: runs the handshake over a connected TCP socket. */
function registerTlsConnect(r: Registry, net: NetState, sessions: Map<number, TlsSession>): void {
  r.defAsync('tls_connect', 2, async ([t, sk]) => {
    const rec = net.sock('tls_connect', sk as Value);
    const id = argHandle('tls_connect', t as Value);
    const s = sessions.get(id);
    if (!s) return err(`tls_connect() unknown TLS session ${id}`);
    if (s.sock) return err('tls_connect() already connected');
    const conn = rec.conn;
    if (!conn) return err("tls_connect() the socket is no' a connected TCP socket", 107);
    const duplex = new Duplex({
      read() {},
      write(chunk: Uint8Array, _enc, cb) {
        conn.write(chunk).then(
          () => cb(),
          (e: Error) => cb(e),
        );
      },
      final(cb) {
        conn.end();
        cb();
      },
    });
    if (rec.leftover) {
      duplex.push(rec.leftover);
      rec.leftover = null;
    }
    conn.onData((chunk) => duplex.push(chunk));
    conn.onEnd(() => duplex.push(null));
    // node:tls is loaded on first use (it is costly to load at start-up).
    const { connect: tlsConnect, createSecureContext, TLSSocket: TLSSocketCtor } = await import('node:tls');
    try {
      const sock = await new Promise<TLSSocket>((resolve, reject) => {
        let ts: TLSSocket;
        if (s.mode === 'client') {
          const opts: ConnectionOptions = {
            socket: duplex,
            servername: s.serverName,
            rejectUnauthorized: !s.insecure,
          };
          if (s.ca) opts.ca = [s.ca];
          if (s.insecure) opts.checkServerIdentity = () => undefined;
          ts = tlsConnect(opts);
          ts.once('secureConnect', () => resolve(ts));
        } else {
          ts = new TLSSocketCtor(duplex, {
            isServer: true,
            secureContext: createSecureContext({ cert: s.cert as string, key: s.key as string }),
          });
          ts.once('secure', () => resolve(ts));
        }
        ts.once('error', reject);
        setTimeout(() => reject(new Error('handshake timed oot')), 15_000).unref();
      });
      sock.on('data', (d: Uint8Array) => {
        s.queue.push(new Uint8Array(d));
        wake(s);
      });
      sock.on('end', () => {
        s.eof = true;
        wake(s);
      });
      sock.on('error', (e: Error) => {
        s.error = e;
        s.eof = true;
        wake(s);
      });
      s.sock = sock;
      return ok(null);
    } catch (e) {
      return err(`tls_connect() ${e instanceof Error ? e.message : String(e)}`);
    }
  });
}

/** Application data over an established session, and closing it. */
function registerTlsIo(r: Registry, sessions: Map<number, TlsSession>): void {
  r.defAsync('tls_send', 2, async ([t, b]) => {
    const buf = argBytes('tls_send', b as Value);
    const id = argHandle('tls_send', t as Value);
    const s = sessions.get(id);
    if (!s) return err(`tls_send() unknown TLS session ${id}`);
    if (!s.sock) return err("tls_send() no' connected");
    const data = buf.view().slice();
    const sock = s.sock;
    try {
      await new Promise<void>((resolve, reject) => sock.write(data, (e) => (e ? reject(e) : resolve())));
      return ok(data.length);
    } catch (e) {
      return err(`tls_send() ${e instanceof Error ? e.message : String(e)}`);
    }
  });

  r.defAsync('tls_recv', 2, async ([t, m]) => {
    const max = argHandle('tls_recv', m as Value);
    const id = argHandle('tls_recv', t as Value);
    const s = sessions.get(id);
    if (!s) return err(`tls_recv() unknown TLS session ${id}`);
    if (!s.sock) return err("tls_recv() no' connected");
    while (s.queue.length === 0 && !s.eof) await new Promise<void>((res) => s.waiters.push(res));
    const c = s.queue.shift();
    if (!c) {
      if (s.error) return err(`tls_recv() ${s.error.message}`);
      return ok(new MBytes(0));
    }
    if (c.length > max) {
      s.queue.unshift(c.slice(max));
      return ok(new MBytes(c.slice(0, max)));
    }
    return ok(new MBytes(c));
  });

  r.def('tls_close', 1, ([t]) => {
    const id = argHandle('tls_close', t as Value);
    const s = sessions.get(id);
    sessions.delete(id);
    if (s) wake(s);
    return ok(null);
  });
}
