/**
 * `@mdh/dtls/testing` — entry points for fuzzing and tests: engines in the states worth attacking (a server awaiting
 * its first ClientHello, a client in the middle of the handshake, a connected pair), the real datagrams of a
 * handshake to mutate, and every wire decoder. Not part of the protocol API.
 *
 * ```ts
 * import { connectedPair, drainEngine } from '@mdh/dtls/testing';
 * const { client, server, now } = connectedPair();
 * server.handleInput(mutated, now); // must never end the association (RFC 6347 §4.1.2.7)
 * ```
 * @packageDocumentation
 */

import { type DtlsCertificate, generateCertificate } from './certificate.js';
import { DtlsEngine, type DtlsEngineOptions, type DtlsEvent } from './engine.js';
import { parseAlert } from './messages/alert.js';
import { parseCertificate } from './messages/certificate.js';
import { parseCertificateRequest } from './messages/certificate-request.js';
import { parseCertificateVerify } from './messages/certificate-verify.js';
import { parseClientHello } from './messages/client-hello.js';
import { parseClientKeyExchange } from './messages/client-key-exchange.js';
import { parseAlpn, parseU16List, parseUseSrtp } from './messages/extensions.js';
import { parseFinished } from './messages/finished.js';
import { parseHandshakeFragments } from './messages/handshake-header.js';
import { parseHelloVerifyRequest } from './messages/hello-verify-request.js';
import { parseServerHello } from './messages/server-hello.js';
import { parseServerKeyExchange } from './messages/server-key-exchange.js';
import { parseRecords } from './record.js';

/** What an engine had to say: datagrams to send, events, and its next deadline. */
export interface Drained {
  datagrams: Uint8Array[];
  events: DtlsEvent[];
  deadline: number | null;
}

/** Drains every output of an engine until it returns its deadline (throws after 10,000 outputs: a runaway engine). */
export function drainEngine(e: DtlsEngine): Drained {
  const datagrams: Uint8Array[] = [];
  const events: DtlsEvent[] = [];
  for (let i = 0; i < 10_000; i++) {
    const o = e.pollOutput();
    if (o.kind === 'deadline') return { datagrams, events, deadline: o.at };
    if (o.kind === 'datagram') datagrams.push(o.data);
    else events.push(o.event);
  }
  throw new Error('engine never returned a deadline');
}

let certs: { client: DtlsCertificate; server: DtlsCertificate } | undefined;
/** A client and a server certificate (ECDSA P-256), generated once per process. */
export function testCertificates(): { client: DtlsCertificate; server: DtlsCertificate } {
  certs ??= {
    client: generateCertificate({ commonName: 'client' }),
    server: generateCertificate({ commonName: 'server' }),
  };
  return certs;
}

/** Options of the helpers below: engine options layered over the defaults (mutual auth, use_srtp, cookies on). */
export interface PairOptions {
  client?: Partial<DtlsEngineOptions>;
  server?: Partial<DtlsEngineOptions>;
}

function engines(o: PairOptions = {}): { client: DtlsEngine; server: DtlsEngine } {
  const c = testCertificates();
  return {
    client: new DtlsEngine({ role: 'client', certificate: c.client, srtpProfiles: [1, 7], ...o.client }),
    server: new DtlsEngine({ role: 'server', certificate: c.server, srtpProfiles: [1, 7], ...o.server }),
  };
}

/** Every datagram of one handshake, by direction and in order (flights 1–6, RFC 6347 §4.2.4). */
export interface HandshakeTrace {
  fromClient: Uint8Array[];
  fromServer: Uint8Array[];
}

/**
 * Runs a handshake over a perfect in-memory link (manual time, 1 ms per hop) and returns both engines connected,
 * the time reached and the datagrams exchanged (copies: a corpus for mutation). Throws if it does not connect.
 */
export function connectedPair(o: PairOptions = {}): {
  client: DtlsEngine;
  server: DtlsEngine;
  now: number;
  trace: HandshakeTrace;
} {
  const { client, server } = engines(o);
  const trace: HandshakeTrace = { fromClient: [], fromServer: [] };
  let now = 0;
  client.start(now);
  let toServer = drainEngine(client).datagrams;
  for (let round = 0; round < 20 && !(client.connected && server.connected); round++) {
    now++;
    const toClient: Uint8Array[] = [];
    for (const d of toServer) {
      trace.fromClient.push(d.slice());
      server.handleInput(d, now);
      toClient.push(...drainEngine(server).datagrams);
    }
    now++;
    toServer = [];
    for (const d of toClient) {
      trace.fromServer.push(d.slice());
      client.handleInput(d, now);
      toServer.push(...drainEngine(client).datagrams);
    }
  }
  if (!client.connected || !server.connected) throw new Error('the test handshake did not complete');
  return { client, server, now: now + 1, trace };
}

/**
 * A client in the middle of the handshake: it has had the HelloVerifyRequest, sent its ClientHello with the cookie
 * and waits for the server's flight 4, which is returned (the real datagrams) for mutation, with the server engine.
 */
export function clientMidHandshake(o: PairOptions = {}): {
  client: DtlsEngine;
  server: DtlsEngine;
  now: number;
  serverFlight: Uint8Array[];
} {
  const { client, server } = engines(o);
  client.start(0);
  for (const d of drainEngine(client).datagrams) server.handleInput(d, 1);
  for (const d of drainEngine(server).datagrams) client.handleInput(d, 2); // HelloVerifyRequest
  const serverFlight: Uint8Array[] = [];
  for (const d of drainEngine(client).datagrams) {
    server.handleInput(d, 3);
    serverFlight.push(...drainEngine(server).datagrams);
  }
  return { client, server, now: 4, serverFlight };
}

/** A server engine that has seen nothing yet, and a real client first flight (the ClientHello datagrams). */
export function serverAwaitingClientHello(o: PairOptions = {}): {
  server: DtlsEngine;
  clientHello: Uint8Array[];
  now: number;
} {
  const { client, server } = engines(o);
  client.start(0);
  return { server, clientHello: drainEngine(client).datagrams, now: 1 };
}

/**
 * Every DTLS wire decoder, by name. Each takes bytes and either returns or throws a `DtlsError` (never another
 * error type); `records` never throws (a malformed tail is reported in its result).
 */
export const dtlsDecoders: Readonly<Record<string, (data: Uint8Array) => unknown>> = {
  records: parseRecords,
  handshakeFragments: parseHandshakeFragments,
  alert: parseAlert,
  clientHello: parseClientHello,
  helloVerifyRequest: parseHelloVerifyRequest,
  serverHello: parseServerHello,
  certificate: parseCertificate,
  serverKeyExchange: parseServerKeyExchange,
  certificateRequest: parseCertificateRequest,
  certificateVerify: parseCertificateVerify,
  clientKeyExchange: parseClientKeyExchange,
  finished: parseFinished,
  useSrtp: parseUseSrtp,
  alpn: parseAlpn,
  u16List: parseU16List,
};
