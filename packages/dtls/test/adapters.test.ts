import { createLoop, createUdpSocket, ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import {
  AlertDescription,
  connect,
  DtlsEngine,
  DtlsSession,
  fingerprint,
  generateCertificate,
  listen,
  statelessHelloVerify,
} from '../src/index.js';
import { drain, runNet } from './net.js';

const cert = generateCertificate();

describe('DtlsSession over a send(bytes) transport on a ManualClock loop', () => {
  it('completes a handshake through a lossy pipe, retransmitting on the loop timers', async () => {
    const clock = new ManualClock(0);
    const loop = createLoop({ clock });
    let drop = 3; // the first three datagrams in each direction are lost
    const toServer: Uint8Array[] = [];
    const toClient: Uint8Array[] = [];
    const client = new DtlsSession({ role: 'client', certificate: cert, loop, srtpProfiles: [1] }, (d) => {
      if (drop-- > 0) return;
      toServer.push(d);
    });
    const server = new DtlsSession({ role: 'server', certificate: cert, loop, srtpProfiles: [1] }, (d) =>
      toClient.push(d),
    );
    const ready = client.start();
    for (let i = 0; i < 200 && !(client.engine.connected && server.engine.connected); i++) {
      while (toServer.length || toClient.length) {
        for (const d of toServer.splice(0)) server.handleDatagram(d);
        for (const d of toClient.splice(0)) client.handleDatagram(d);
      }
      clock.advance(250);
    }
    const info = await ready;
    expect(info.srtpProfile?.dtlsId).toBe(1);
    await expect(server.ready).resolves.toMatchObject({ cipherSuite: info.cipherSuite });
    expect(client.engine.stats.retransmits).toBeGreaterThanOrEqual(2);
    expect(clock.now()).toBeGreaterThanOrEqual(3000); // 1 s + 2 s of doubled timeouts
    // data that arrives before a listener exists is kept for the first one
    client.send(Uint8Array.of(41));
    for (const d of toServer.splice(0)) server.handleDatagram(d);
    const got: Uint8Array[] = [];
    server.onData((d) => got.push(d));
    client.send(Uint8Array.of(42));
    for (const d of toServer.splice(0)) server.handleDatagram(d);
    expect(got).toEqual([Uint8Array.of(41), Uint8Array.of(42)]);
    expect(client.exportKeyingMaterial('EXTRACTOR-test', 8)).toEqual(server.exportKeyingMaterial('EXTRACTOR-test', 8));
  });

  it('rejects ready with the DtlsError when the handshake times out', async () => {
    const clock = new ManualClock(0);
    const loop = createLoop({ clock });
    const s = new DtlsSession({ role: 'client', loop, handshakeTimeoutMs: 5000 }, () => {});
    const closed: unknown[] = [];
    s.onClose((e) => closed.push(e));
    const p = s.start();
    clock.advance(6000);
    await expect(p).rejects.toThrow(/timed out/);
    expect(closed.length).toBe(1);
  });
});

describe('stateless HelloVerifyRequest (RFC 6347 §4.2.1)', () => {
  it('answers a cookie-less ClientHello without state and accepts the echoed cookie for the same peer only', () => {
    const secret = new Uint8Array(32).fill(9);
    const client = new DtlsEngine({ role: 'client' });
    client.start(0);
    const [ch1] = drain(client).datagrams;
    const d1 = statelessHelloVerify(ch1!, secret, '10.0.0.1:5000');
    expect(d1.action).toBe('reply');
    if (d1.action !== 'reply') return;
    // the HVR record reuses the ClientHello's record sequence number
    expect(Buffer.from(d1.datagram.subarray(3, 11))).toEqual(Buffer.from(ch1!.subarray(3, 11)));
    client.handleInput(d1.datagram, 1);
    const [ch2] = drain(client).datagrams;
    expect(statelessHelloVerify(ch2!, secret, '10.0.0.1:5000')).toMatchObject({ action: 'accept' });
    expect(statelessHelloVerify(ch2!, secret, '10.0.0.2:5000').action).toBe('reply');
    expect(statelessHelloVerify(Uint8Array.of(23, 0xfe, 0xfd), secret, 'x').action).toBe('drop');
  });

  it('a server without a cookie exchange answers the first ClientHello with its ServerHello', () => {
    const client = new DtlsEngine({ role: 'client', certificate: cert });
    const server = new DtlsEngine({ role: 'server', certificate: cert, cookieExchange: false });
    const r = runNet(client, server);
    expect(r.clientEvents.some((e) => e.type === 'connected')).toBe(true);
    expect(r.serverEvents.some((e) => e.type === 'connected')).toBe(true);
  });
});

describe('ALPN (RFC 7301) and renegotiation', () => {
  it('negotiates the server-preferred common protocol', () => {
    const client = new DtlsEngine({ role: 'client', certificate: cert, alpn: ['c-webrtc', 'webrtc'] });
    const server = new DtlsEngine({ role: 'server', certificate: cert, alpn: ['webrtc', 'c-webrtc'] });
    runNet(client, server);
    expect(client.info?.alpn).toBe('webrtc');
    expect(server.info?.alpn).toBe('webrtc');
  });

  it('fails with no_application_protocol when nothing is common', () => {
    const client = new DtlsEngine({ role: 'client', certificate: cert, alpn: ['x'] });
    const server = new DtlsEngine({ role: 'server', certificate: cert, alpn: ['y'] });
    const r = runNet(client, server);
    const e = r.serverEvents.find((x) => x.type === 'error');
    expect(e?.type === 'error' && e.error.alert).toBe(AlertDescription.noApplicationProtocol);
  });

  it('refuses renegotiation: a HelloRequest at epoch 1 gets a no_renegotiation warning and the association stays up', () => {
    const client = new DtlsEngine({ role: 'client', certificate: cert });
    const server = new DtlsEngine({ role: 'server', certificate: cert });
    const r = runNet(client, server);
    // build an authenticated HelloRequest with the server's record keys (a test reaching into the engine)
    const seal = (server as unknown as { sealRecord(t: number, b: Uint8Array): Uint8Array }).sealRecord.bind(server);
    const helloRequest = seal(22, Uint8Array.of(0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0));
    client.handleInput(helloRequest, r.timeMs);
    const out = drain(client);
    expect(out.events).toEqual([]);
    expect(out.datagrams.length).toBe(1);
    server.handleInput(out.datagrams[0]!, r.timeMs);
    // a warning alert other than close_notify is counted and ignored by the peer
    expect(drain(server).events).toEqual([]);
    expect(client.connected && server.connected).toBe(true);
  });
});

describe('UDP adapters on 127.0.0.1', () => {
  it('connect ↔ listen with fingerprints both ways, application data and close', async () => {
    const serverCert = generateCertificate();
    const clientCert = generateCertificate({ keyType: 'ecdsa-p384' });
    const accepted: string[] = [];
    const server = await listen(
      {
        host: '127.0.0.1',
        port: 0,
        certificate: serverCert,
        srtpProfiles: ['SRTP_AEAD_AES_256_GCM'],
        expectedFingerprints: [fingerprint(clientCert.chain[0]!, 'sha-512')],
      },
      (c) => {
        accepted.push(c.info.peerFingerprint);
        c.session.onData((d) => c.session.send(d)); // echo
      },
    );
    try {
      const conn = await connect({
        host: '127.0.0.1',
        port: server.port,
        certificate: clientCert,
        srtpProfiles: ['SRTP_AEAD_AES_256_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'],
        expectedFingerprints: [fingerprint(serverCert.chain[0]!)],
        handshakeTimeoutMs: 10_000,
      });
      expect(conn.info.srtpProfile?.name).toBe('SRTP_AEAD_AES_256_GCM');
      expect(conn.session.srtpKeyingMaterial()?.material.length).toBe(88);
      const echoed = new Promise<Uint8Array>((res) => conn.session.onData(res));
      conn.session.send(new TextEncoder().encode('ping'));
      expect(new TextDecoder().decode(await echoed)).toBe('ping');
      expect(accepted).toEqual([fingerprint(clientCert.chain[0]!)]);
      expect(server.associations).toBe(1);
      await conn.close();
      for (let i = 0; i < 50 && server.associations > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(server.associations).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('a peer that restarts on the same address gets a fresh association (RFC 6347 §4.2.8)', async () => {
    const conns: string[] = [];
    const server = await listen({ host: '127.0.0.1', port: 0, certificate: cert }, (c) =>
      conns.push(c.info.peerFingerprint),
    );
    const sock = await createUdpSocket({ address: '127.0.0.1' });
    try {
      const handshake = async (certificate: ReturnType<typeof generateCertificate>) => {
        const session = new DtlsSession({ role: 'client', certificate, handshakeTimeoutMs: 10_000 }, (d) =>
          sock.send(d, server.port, '127.0.0.1'),
        );
        const off = sock.onMessage((m) => session.handleDatagram(m.data));
        await session.start();
        off();
        return session;
      };
      const a = generateCertificate();
      const b = generateCertificate();
      await handshake(a); // then "crashes": no close_notify
      const second = await handshake(b);
      for (let i = 0; i < 50 && conns.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
      expect(conns).toEqual([fingerprint(a.chain[0]!), fingerprint(b.chain[0]!)]);
      expect(server.associations).toBe(1);
      second.close();
    } finally {
      await sock.close();
      await server.close();
    }
  });
});

describe('listen() keeps no state for peers that do not return the cookie', () => {
  it('a burst of ClientHellos from unverified addresses allocates no association', async () => {
    const server = await listen({ host: '127.0.0.1', port: 0, certificate: cert }, () => {});
    const sock = await createUdpSocket({ address: '127.0.0.1' });
    try {
      let hvrs = 0;
      sock.onMessage((m) => {
        if (m.data[0] === 22 && m.data[13] === 3) hvrs++;
      });
      for (let i = 0; i < 50; i++) {
        const c = new DtlsEngine({ role: 'client' });
        c.start(0);
        for (const d of drain(c).datagrams) sock.send(d, server.port, '127.0.0.1');
      }
      for (let i = 0; i < 100 && hvrs < 50; i++) await new Promise((r) => setTimeout(r, 10));
      expect(hvrs).toBe(50);
      expect(server.associations).toBe(0);
    } finally {
      await sock.close();
      await server.close();
    }
  });
});
