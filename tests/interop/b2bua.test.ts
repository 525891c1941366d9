import { createSocket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type B2buaCallRecord, type EchoCallRecord, startB2bua, startEcho } from '@mdh/cli';
import { dominantFrequency, ToneGenerator } from '@mdh/media';
import { CallMedia, createSdpOffer, listenTransport, readSdpAnswer, UserAgent } from '@mdh/sip';
import { afterAll, describe, expect, it } from 'vitest';
import { baresip, baresipDir, cleanupBaresip, decodedFrequency, freePortPair } from './baresip-helpers.js';
import { freeUdpPort } from './helpers.js';
import { hasPeer } from './peers.js';
import { killSipps, type SippResult, sipp, uacArgs } from './sipp-helpers.js';

// Real peers on both sides of `mdh b2bua`: baresip (SDES-SRTP) → b2bua --media relay → mdh echo (DTLS-SRTP),
// and sipp UAC → b2bua --media pass → sipp UAS.

const scenarios = mkdtempSync(join(tmpdir(), 'mdh-b2bua-sipp-'));
afterAll(() => {
  cleanupBaresip();
  killSipps();
  rmSync(scenarios, { recursive: true, force: true });
});

const SDP_BODY = [
  '      Content-Type: application/sdp',
  '      Content-Length: [len]',
  '',
  '      v=0',
  '      o=user1 53655765 2353687637 IN IP[local_ip_type] [local_ip]',
  '      s=-',
  '      c=IN IP[media_ip_type] [media_ip]',
  '      t=0 0',
  '      m=audio [media_port] RTP/AVP 0',
  '      a=rtpmap:0 PCMU/8000',
  '    ]]>',
].join('\n');

/**
 * A scenario of tests/interop/sipp with STATUS replaced by a status code; `withSdp` puts an offer in its first
 * message (the B2BUA does not bridge a late offer).
 */
function scenario(name: string, status: number, withSdp = false): string {
  const f = join(scenarios, `${status}-${withSdp ? 'sdp-' : ''}${name}`);
  let text = readFileSync(join(import.meta.dirname, 'sipp', name), 'utf8').replaceAll('STATUS', String(status));
  if (withSdp) text = text.replace(/ {6}Content-Length: 0\n {4}\]\]>/, SDP_BODY);
  writeFileSync(f, text);
  return f;
}

/** Resolves once something holds UDP `port` on 127.0.0.1 (bounded: 20 s); false at once when `gone()` says so. */
async function waitBound(port: number, gone: () => boolean = () => false): Promise<boolean> {
  for (let i = 0; i < 400 && !gone(); i++) {
    const s = createSocket('udp4');
    const inUse = await new Promise<boolean>((r) => {
      s.once('error', () => r(true));
      s.bind(port, '127.0.0.1', () => r(false));
    });
    await new Promise<void>((r) => (inUse ? r() : s.close(() => r())));
    if (inUse) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return false;
}

/**
 * Starts a sipp UAS on a free port and waits until it listens. A sipp that exits at start (its port taken between
 * the probe and its bind, on a loaded machine) is started again on other ports (at most 3 tries).
 */
async function sippUas(
  args: (port: number) => string[],
  hardMs: number,
): Promise<{ port: number; done: Promise<SippResult> }> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freeUdpPort();
    let exited = false;
    const done = sipp(args(port), hardMs);
    void done.then(() => {
      exited = true;
    });
    if (await waitBound(port, () => exited)) return { port, done };
    if (!exited) throw new Error(`nothing bound 127.0.0.1:${port}`);
  }
  throw new Error('sipp UAS exited at start three times');
}

describe.skipIf(!hasPeer('baresip'))('mdh b2bua with baresip and mdh echo', () => {
  it('baresip (SDES-SRTP) → b2bua --media relay → mdh echo (DTLS-SRTP): the tone comes back, BYE crosses', async () => {
    const echoed: EchoCallRecord[] = [];
    const echo = await startEcho({ host: '127.0.0.1', port: 0, srtp: 'dtls', onCall: (r) => echoed.push(r) });
    const bridged: B2buaCallRecord[] = [];
    const b2b = await startB2bua({
      host: '127.0.0.1',
      port: 0,
      to: `sip:echo@127.0.0.1:${echo.port}`,
      media: 'relay',
      srtpIn: 'sdes',
      srtpOut: 'dtls',
      onCall: (r) => bridged.push(r),
    });
    try {
      const port = await freePortPair();
      const dir = baresipDir(port, 'sdes', false, 440);
      const log = await baresip(dir, 4, `sip:echo@127.0.0.1:${b2b.transport.localPort}`).done;
      // baresip quits with a BYE at -t: it crosses the bridge and ends the echo's call
      for (let i = 0; i < 40 && (echoed.length === 0 || bridged.length === 0); i++)
        await new Promise((r) => setTimeout(r, 50));
      expect(log, log.slice(-3000)).toContain('Call established');
      expect(bridged, JSON.stringify(bridged)).toHaveLength(1);
      expect(bridged[0]!.status).toBe(200);
      expect(bridged[0]!.relayed![0]).toBeGreaterThan(50);
      expect(bridged[0]!.relayed![1]).toBeGreaterThan(50);
      expect(echoed).toHaveLength(1);
      expect(echoed[0]!.srtp).toBe('dtls');
      expect(echoed[0]!.media?.srtpProfile).toBeTruthy();
      expect(echoed[0]!.media?.packetsReceived).toBeGreaterThan(50);
      expect(echoed[0]!.media?.dropped).toBe(0);
      // baresip decoded its own 440 Hz tone: SRTP → relay → DTLS-SRTP → echo → DTLS-SRTP → relay → SRTP
      expect(Math.abs(decodedFrequency(dir) - 440)).toBeLessThan(5);
      expect(b2b.live.size).toBe(0);
      expect(b2b.ua.activeCalls).toBe(0);
    } finally {
      await b2b.stop();
      await echo.stop();
    }
  }, 40_000);
  it('mdh UA (SDES) → b2bua --media relay → baresip (DTLS-SRTP): tones both ways, hold and resume cross to baresip', async () => {
    const port = await freePortPair();
    const dir = baresipDir(port, 'dtls', false, 600);
    const br = baresip(dir, 10);
    await br.ready;
    const b2b = await startB2bua({
      host: '127.0.0.1',
      port: 0,
      to: `sip:br@127.0.0.1:${port}`,
      media: 'relay',
      srtpIn: 'sdes',
      srtpOut: 'dtls',
    });
    const caller = new UserAgent({ transports: [await listenTransport('udp', { host: '127.0.0.1', port: 0 })] });
    try {
      const cm = await CallMedia.open({ loop: caller.loop, srtp: 'sdes' });
      const offer = createSdpOffer(cm.local, { sessionId: '5', version: 1 });
      const call = await caller.invite(`sip:br@127.0.0.1:${b2b.transport.localPort}`, { sdp: offer }).result;
      const media = cm.attach(call, readSdpAnswer(call.remoteSdp!, cm.local));
      const heard: number[] = [];
      media.on('audio', (e) => {
        if (!e.concealed) heard.push(...e.pcm);
      });
      const tone = new ToneGenerator({ frequency: 440 });
      const frame = new Int16Array(160);
      const t = caller.loop.every(20, () => {
        tone.fill(frame);
        media.sendAudio(frame);
      });
      await new Promise((r) => setTimeout(r, 1500));
      const bridge = [...b2b.live][0]!;
      expect(bridge.b!.remoteSdp).toContain('UDP/TLS/RTP/SAVP');
      // hold: our sendonly offer is re-offered to baresip, whose recvonly answer bounds ours
      const held = await call.reinvite(
        createSdpOffer({ ...cm.local, direction: 'sendonly' }, { sessionId: '5', version: 2 }),
      );
      expect(held).toContain('a=recvonly');
      expect(bridge.b!.localSdp).toContain('a=sendonly');
      expect(bridge.b!.remoteSdp).toContain('a=recvonly');
      const resumed = await call.reinvite(createSdpOffer(cm.local, { sessionId: '5', version: 3 }));
      expect(resumed).toContain('a=sendrecv');
      expect(bridge.b!.remoteSdp).toContain('a=sendrecv');
      await new Promise((r) => setTimeout(r, 1000));
      caller.loop.cancel(t);
      expect(media.stats().received.packets).toBeGreaterThan(50);
      expect(Math.abs(dominantFrequency(Int16Array.from(heard.slice(-4000))) - 600)).toBeLessThan(5);
      expect(await call.hangup()).toBe(200);
      await bridge.done;
      expect(bridge.b!.endReason).toBe('local-bye');
      expect(b2b.ua.activeCalls).toBe(0);
    } finally {
      await caller.close();
      await b2b.stop();
    }
    const log = await br.done;
    // baresip decoded our 440 Hz tone relayed through the bridge
    expect(Math.abs(decodedFrequency(dir) - 440), log.slice(-3000)).toBeLessThan(5);
  }, 40_000);
});

describe.skipIf(!hasPeer('sipp'))('mdh b2bua with sipp', () => {
  it('sipp UAC → b2bua --media pass → sipp UAS: every call bridged and torn down by BYE across', async () => {
    const N = 10;
    const { port: uasPort, done: uas } = await sippUas(
      (port) => ['-sn', 'uas', '-i', '127.0.0.1', '-p', String(port), '-m', String(N), '-timeout', '60s'],
      90_000,
    );
    const bridged: B2buaCallRecord[] = [];
    const b2b = await startB2bua({
      host: '127.0.0.1',
      port: 0,
      to: `sip:service@127.0.0.1:${uasPort}`,
      media: 'pass',
      onCall: (r) => bridged.push(r),
    });
    try {
      const r = await sipp(['-sn', 'uac', ...uacArgs(b2b.transport.localPort, N, 5, '40s')]);
      expect(r.failed, r.out.slice(-2000)).toBe(0);
      expect(r.successful).toBe(N);
      const u = await uas;
      expect(u.successful, u.out.slice(-2000)).toBe(N);
      for (let i = 0; i < 40 && bridged.length < N; i++) await new Promise((r) => setTimeout(r, 50));
      expect(bridged.map((b) => b.status)).toEqual(new Array(N).fill(200));
      expect(b2b.totals).toEqual({ bridged: N, failed: 0 });
      expect(b2b.ua.activeCalls).toBe(0);
    } finally {
      await b2b.stop();
    }
  }, 120_000);

  it('failure mapping through b2bua --media pass: sipp UAS 486 → UAC 486, 407 → 502', async () => {
    for (const [uasSays, uacGets] of [
      [486, 486],
      [407, 502],
    ] as const) {
      const N = 3;
      const { port: uasPort, done: uas } = await sippUas(
        (port) => ['-sf', scenario('uas-reject.xml', uasSays), '-i', '127.0.0.1', '-p', String(port), '-m', String(N)],
        60_000,
      );
      const b2b = await startB2bua({ host: '127.0.0.1', port: 0, to: `sip:svc@127.0.0.1:${uasPort}`, media: 'pass' });
      try {
        const r = await sipp([
          '-sf',
          scenario('uac-status.xml', uacGets, true),
          ...uacArgs(b2b.transport.localPort, N, 5, '20s'),
        ]);
        expect(r.failed, r.out.slice(-2000)).toBe(0);
        expect(r.successful).toBe(N);
        expect((await uas).successful).toBe(N);
        expect(b2b.totals).toEqual({ bridged: 0, failed: N });
      } finally {
        await b2b.stop();
      }
    }
  }, 90_000);
});
