// Real-peer test of the ICE-lite agent (issue #13): headless Chromium creates an RTCPeerConnection whose remote
// description is an SDP answer we build with a=ice-lite and one host candidate on a loopback UDP socket driven by
// IceLiteAgent. Chromium, the full and controlling agent (RFC 8445 §6.1.1), must check and nominate our candidate:
// its iceConnectionState becomes 'connected' and its selected candidate pair 'succeeded'. No DTLS side is run, so
// DTLS (and the overall connectionState) fails afterwards; only ICE is asserted.
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { IceLiteAgent, type IceLiteEvent, IceSdpError, parseIceAttributes, type TransportAddress } from '@mdh/media';
import { type Browser, chromium, type Page } from 'playwright-core';
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

function answerSdp(offer: string, agent: IceLiteAgent, port: number, pwdInSdp = agent.pwd): string {
  const mid = /^a=mid:(\S+)/m.exec(offer)?.[1] ?? '0';
  const fp = Array.from(randomBytes(32), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
  const { session, media } = agent.sdpLines();
  const mediaLines = media.map((l) => (l.startsWith('a=ice-pwd:') ? `a=ice-pwd:${pwdInSdp}` : l));
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
    ...mediaLines,
    '',
  ].join('\r\n');
}

/**
 * Binds a loopback UDP socket and drives an agent made for its port with real timers (the loop adapter's job, done
 * by hand here).
 */
async function runAgent(make: (local: TransportAddress) => IceLiteAgent) {
  const sock: Socket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const port = sock.address().port;
  const agent = make({ address: '127.0.0.1', port });
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
  return {
    agent,
    port,
    events,
    start() {
      agent.start(performance.now());
      drive();
    },
    stop() {
      clearTimeout(timer);
      agent.close();
      sock.close();
    },
  };
}

/** Creates an RTCPeerConnection with one audio transceiver in the page; returns its offer. */
async function pageOffer(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const pc = new (globalThis as any).RTCPeerConnection();
    (globalThis as any).pc = pc;
    pc.addTransceiver('audio', { direction: 'sendrecv' });
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription!.sdp as string;
  });
}

/**
 * Applies our answer in the page, waits (up to `waitMs`) for ICE to connect, and reads the transport's selected
 * candidate pair (RTCTransportStats.selectedCandidatePairId) with its candidates.
 */
async function applyAnswer(page: Page, sdp: string, waitMs: number) {
  return page.evaluate(
    async ([sdp, waitMs]: [string, number]) => {
      const pc = (globalThis as any).pc;
      await pc.setRemoteDescription({ type: 'answer', sdp });
      const deadline = Date.now() + waitMs;
      while (Date.now() < deadline && !['connected', 'completed'].includes(pc.iceConnectionState))
        await new Promise((r) => setTimeout(r, 50));
      let pair: any;
      let remoteCandidate: any;
      let localCandidate: any;
      const done = () => pair?.state === 'succeeded' && pair?.nominated;
      for (let i = 0; i < 100 && pc.iceConnectionState !== 'checking' && !done(); i++) {
        const stats = await pc.getStats();
        stats.forEach((s: any) => {
          if (s.type === 'transport' && s.selectedCandidatePairId) pair = stats.get(s.selectedCandidatePairId);
        });
        if (pair) remoteCandidate = stats.get(pair.remoteCandidateId);
        if (pair) localCandidate = stats.get(pair.localCandidateId);
        if (!done()) await new Promise((r) => setTimeout(r, 50));
      }
      return { state: pc.iceConnectionState as string, pair, remoteCandidate, localCandidate };
    },
    [sdp, waitMs] as [string, number],
  );
}

function remoteUfrag(offer: string): string {
  const remote = parseIceAttributes(offer);
  if (remote instanceof IceSdpError) throw remote;
  if (!remote.ufrag) throw new Error('offer without a=ice-ufrag');
  return remote.ufrag;
}

describe.skipIf(!hasPeer('chromium'))('ICE-lite agent against Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('Chromium checks and nominates our host candidate: ICE connected on both sides', async () => {
    const run = await runAgent((local) => new IceLiteAgent({ localAddresses: [local], connectTimeoutMs: 20_000 }));
    const { agent, port, events } = run;
    run.start();
    const page = await browser.newPage();
    try {
      const offer = await pageOffer(page);
      agent.setRemoteCredentials(remoteUfrag(offer));
      const result = await applyAnswer(page, answerSdp(offer, agent, port), 20_000);
      expect(['connected', 'completed']).toContain(result.state);
      expect(result.pair).toBeDefined();
      expect(result.pair.state).toBe('succeeded');
      expect(result.pair.nominated).toBe(true);
      expect(result.remoteCandidate).toMatchObject({ port, candidateType: 'host' });
      // Chromium may report 'connected' before its USE-CANDIDATE check reaches us: wait (bounded) for it
      for (let i = 0; i < 100 && agent.state !== 'connected'; i++) await new Promise((r) => setTimeout(r, 50));
      // our side: authenticated checks answered, a pair nominated and media latched to Chromium's address
      expect(agent.state).toBe('connected');
      expect(agent.stats.validChecks).toBeGreaterThan(0);
      expect(agent.stats.unauthenticated + agent.stats.badFingerprint + agent.stats.malformed).toBe(0);
      // the media destination we latched is Chromium's end of the pair it selected
      expect(agent.remoteAddress).toEqual({ address: result.localCandidate.address, port: result.localCandidate.port });
      expect(events.some((e) => e.type === 'selected-pair')).toBe(true);
    } finally {
      run.stop();
      await page.close();
    }
  }, 60_000);

  it('checks keyed with the wrong password get 401, move nothing, and the agent fails with no-checks', async () => {
    const run = await runAgent((local) => new IceLiteAgent({ localAddresses: [local], connectTimeoutMs: 3_000 }));
    const { agent, port, events } = run;
    run.start();
    const page = await browser.newPage();
    try {
      const offer = await pageOffer(page);
      agent.setRemoteCredentials(remoteUfrag(offer));
      // the answer advertises a different pwd than the agent's, so every check Chromium sends fails integrity
      const result = await applyAnswer(page, answerSdp(offer, agent, port, 'WrongPasswordWrongPassword'), 3_000);
      for (let i = 0; i < 100 && agent.state === 'checking'; i++) await new Promise((r) => setTimeout(r, 50));
      expect(['connected', 'completed']).not.toContain(result.state);
      expect(agent.stats.unauthenticated).toBeGreaterThan(0);
      expect(agent.stats.validChecks).toBe(0);
      expect(agent.selectedPair).toBeUndefined();
      expect(agent.state).toBe('failed');
      expect(events).toContainEqual(expect.objectContaining({ type: 'failed', reason: 'no-checks' }));
    } finally {
      run.stop();
      await page.close();
    }
  }, 60_000);
});
