// Real-peer test of the ICE-lite agent (issue #13): headless Chromium creates an RTCPeerConnection whose remote
// description is an SDP answer we build with a=ice-lite and one host candidate on a loopback UDP socket driven by
// IceLiteAgent. Chromium, the full and controlling agent (RFC 8445 §6.1.1), must check and nominate our candidate:
// its iceConnectionState becomes 'connected' and its selected candidate pair 'succeeded'. No DTLS side is run, so
// DTLS (and the overall connectionState) fails afterwards; only ICE is asserted.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { IceLiteAgent, type IceLiteEvent, IceSdpError, parseIceAttributes } from '@mdh/media';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--disable-background-networking',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
];

function answerSdp(offer: string, agent: IceLiteAgent, port: number): string {
  const mid = /^a=mid:(\S+)/m.exec(offer)?.[1] ?? '0';
  const fp = Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  const { session, media } = agent.sdpLines();
  return [
    'v=0',
    'o=- 4611731400430051336 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    `a=group:BUNDLE ${mid}`,
    ...session,
    `m=audio ${port} UDP/TLS/RTP/SAVPF 0`,
    'c=IN IP4 127.0.0.1',
    `a=mid:${mid}`,
    'a=recvonly',
    'a=rtcp-mux',
    'a=rtpmap:0 PCMU/8000',
    'a=setup:passive',
    `a=fingerprint:sha-256 ${fp}`,
    ...media,
    '',
  ].join('\r\n');
}

describe.skipIf(!hasPeer('chromium'))('ICE-lite agent against Chromium', () => {
  let browser: Browser;
  let sock: Socket;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
    sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  }, 60_000);

  afterAll(async () => {
    sock?.close();
    await browser?.close();
  });

  it('Chromium checks and nominates our host candidate: ICE connected on both sides', async () => {
    const port = sock.address().port;
    const agent = new IceLiteAgent({ localAddresses: [{ address: '127.0.0.1', port }], connectTimeoutMs: 20_000 });
    const events: IceLiteEvent[] = [];
    let timer: NodeJS.Timeout | undefined;
    const drive = () => {
      for (let i = 0; i < 1000; i++) {
        const o = agent.pollOutput();
        if (o.kind === 'datagram') sock.send(o.data, o.to.port, o.to.address);
        else if (o.kind === 'event') events.push(o.event);
        else {
          clearTimeout(timer);
          if (o.at !== null)
            timer = setTimeout(
              () => {
                agent.handleTimeout(performance.now());
                drive();
              },
              Math.max(0, o.at - performance.now()),
            );
          return;
        }
      }
    };
    // RFC 7983: only octets 0..3 are STUN; Chromium's DTLS ClientHello (22) has no peer here and is dropped.
    sock.on('message', (data, rinfo) => {
      if (data.length === 0 || data[0]! > 3) return;
      agent.handleInput(new Uint8Array(data), { address: rinfo.address, port: rinfo.port }, performance.now());
      drive();
    });
    agent.start(performance.now());
    drive();

    const page = await browser.newPage();
    try {
      const offer: string = await page.evaluate(async () => {
        const pc = new (globalThis as any).RTCPeerConnection();
        (globalThis as any).pc = pc;
        pc.addTransceiver('audio', { direction: 'sendrecv' });
        await pc.setLocalDescription(await pc.createOffer());
        return pc.localDescription!.sdp;
      });
      const remote = parseIceAttributes(offer);
      if (remote instanceof IceSdpError) throw remote;
      expect(remote.ufrag).toBeDefined();
      agent.setRemoteCredentials(remote.ufrag!);

      const result = await page.evaluate(
        async (sdp: string) => {
          const pc = (globalThis as any).pc;
          const seen: string[] = [pc.iceConnectionState];
          pc.oniceconnectionstatechange = () => seen.push(pc.iceConnectionState);
          await pc.setRemoteDescription({ type: 'answer', sdp });
          const deadline = Date.now() + 20_000;
          while (Date.now() < deadline && !['connected', 'completed'].includes(pc.iceConnectionState))
            await new Promise((r) => setTimeout(r, 50));
          // the transport's selected pair (RTCTransportStats.selectedCandidatePairId) and its remote candidate
          let pair: any;
          let remoteCandidate: any;
          let localCandidate: any;
          for (let i = 0; i < 100 && !(pair?.state === 'succeeded' && pair?.nominated); i++) {
            const stats = await pc.getStats();
            stats.forEach((s: any) => {
              if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
            });
            if (pair) remoteCandidate = stats.get(pair.remoteCandidateId);
            if (pair) localCandidate = stats.get(pair.localCandidateId);
            if (!(pair?.state === 'succeeded' && pair?.nominated)) await new Promise((r) => setTimeout(r, 50));
          }
          return { state: pc.iceConnectionState, seen, pair, remoteCandidate, localCandidate };
        },
        answerSdp(offer, agent, port),
      );

      expect(['connected', 'completed']).toContain(result.state);
      expect(result.pair).toBeDefined();
      expect(result.pair!.state).toBe('succeeded');
      expect(result.pair!.nominated).toBe(true);
      // Chromium may report 'connected' before its USE-CANDIDATE check reaches us: wait (bounded) for it
      for (let i = 0; i < 100 && agent.state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(result.remoteCandidate).toMatchObject({ port, candidateType: 'host' });
      // our side: authenticated checks answered, a pair nominated and media latched to Chromium's address
      expect(agent.state).toBe('connected');
      expect(agent.stats.validChecks).toBeGreaterThan(0);
      expect(agent.stats.unauthenticated + agent.stats.badFingerprint + agent.stats.malformed).toBe(0);
      // the media destination we latched is Chromium's end of the pair it selected
      expect(agent.remoteAddress).toEqual({ address: result.localCandidate.address, port: result.localCandidate.port });
      expect(events.some((e) => e.type === 'selected-pair')).toBe(true);
    } finally {
      clearTimeout(timer);
      agent.close();
      await page.close();
    }
  }, 60_000);
});
