// Issue #13, proven by a real browser and a real browser SIP library: headless Chromium opens the `mdh web --echo
// --auth` page, whose JsSIP (packed from the npm package by mdh web) registers with digest auth over WSS and calls the
// echo. Media is DTLS-SRTP over ICE-lite; the page's getStats() must show the echoed audio coming back.

import { type CallReport, type EchoCallRecord, placeCall, startWeb, type WebServer } from '@mdh/cli';
import { ToneGenerator } from '@mdh/media';
import { answerSdpOffer, type Call, CallMedia, createSdpOffer, type IncomingCall, readSdpAnswer } from '@mdh/sip';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hasPeer } from './peers.js';

const CHROMIUM = '/usr/bin/chromium';
const FLAGS = [
  '--no-sandbox',
  '--use-fake-device-for-media-stream',
  '--use-fake-ui-for-media-stream',
  '--allow-loopback-in-peer-connection',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--ignore-certificate-errors',
  '--disable-background-networking',
  '--disable-gpu',
];
const CONSENT_MS = 4000;

interface PageStats {
  ice?: string;
  dtls?: string;
  codec?: string;
  packetsReceived?: number;
  packetsSent?: number;
  jitter?: number;
  audioLevel?: number;
}

async function until<T>(f: () => Promise<T> | T, ok: (v: T) => boolean, ms: number, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (ok(v)) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const pageState = (p: Page) =>
  p.evaluate(() => {
    const ph = (globalThis as any).phone;
    return { state: ph.state as string, registered: ph.registered as boolean, stats: ph.stats as PageStats | null };
  });

describe.skipIf(!hasPeer('chromium'))('mdh web --echo against Chromium + JsSIP', () => {
  let browser: Browser;
  let web: WebServer;
  const records: EchoCallRecord[] = [];
  const calls: Call[] = [];

  beforeAll(async () => {
    web = await startWeb({
      port: 0,
      echo: true,
      auth: { username: 'alice', password: 's3cret' },
      consentTimeoutMs: CONSENT_MS,
      onCall: (r) => records.push(r),
    });
    // keep the echo's established calls, to hang up from mdh's side
    web.echo!.ua.on('invite', (inv: IncomingCall) => {
      const answer = inv.answer.bind(inv);
      inv.answer = async (sdp) => {
        const c = await answer(sdp);
        calls.push(c);
        return c;
      };
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
  });

  async function openPage(pass = 's3cret', path = ''): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${web.url}${path}?user=alice&pass=${pass}&register=1`);
    return page;
  }

  it('registers with digest auth, calls the echo over WSS: audio comes back over DTLS-SRTP/ICE; page hangs up', async () => {
    const page = await openPage();
    try {
      await until(
        () => pageState(page),
        (s) => s.registered,
        10_000,
        'registration',
      );
      const before = records.length;
      const idleShot = await page.locator('#state').screenshot();
      await page.evaluate(() => (globalThis as any).phone.call());
      await until(
        () => pageState(page),
        (s) => s.state === 'in call',
        15_000,
        'call confirmed',
      );
      await new Promise((r) => setTimeout(r, 5000));
      const s = (await pageState(page)).stats!;
      expect(s.ice).toMatch(/^(connected|completed)$/);
      expect(s.dtls).toBe('connected');
      expect(s.codec).toMatch(/^PCM[UA]\/8000$/);
      expect(s.packetsReceived).toBeGreaterThan(200);
      expect(s.audioLevel).toBeGreaterThan(0);
      // the visible state on the page
      expect(await page.locator('#state').textContent()).toBe('in call');
      expect(await page.locator('#dtls').textContent()).toBe('connected');
      // the screenshot of the page shows the call state: the rendered state field differs from the idle one
      expect(await page.locator('#state').isVisible()).toBe(true);
      const shot = await page.screenshot();
      expect(shot.length).toBeGreaterThan(1000);
      const callShot = await page.locator('#state').screenshot();
      expect(Buffer.compare(callShot, idleShot)).not.toBe(0);
      expect(await page.locator('#codec').textContent()).toMatch(/^PCM[UA]\/8000$/);
      // hang-up from the page ends the call on mdh's side (BYE)
      await page.evaluate(() => (globalThis as any).phone.hangup());
      await until(
        () => records.length,
        (n) => n > before,
        5000,
        'mdh call record',
      );
      const r = records[records.length - 1]!;
      expect(r.ended).toBe('remote-bye');
      expect(r.srtp).toBe('dtls');
      expect(r.media!.packetsSent).toBeGreaterThan(200);
      expect(r.media!.srtpProfile).toBeDefined();
    } finally {
      await page.close();
    }
  }, 60_000);

  it('SIP.js (its npm ES modules) registers with digest auth, calls the echo over WSS: audio comes back', async () => {
    const page = await openPage('s3cret', 'sipjs.html');
    try {
      expect(await page.locator('h1').textContent()).toMatch(/SIP\.js/);
      await until(
        () => pageState(page),
        (s) => s.registered,
        10_000,
        'SIP.js registration',
      );
      const before = records.length;
      await page.evaluate(() => (globalThis as any).phone.call());
      await until(
        () => pageState(page),
        (s) => s.state === 'in call',
        15_000,
        'SIP.js call established',
      );
      await new Promise((r) => setTimeout(r, 5000));
      const s = (await pageState(page)).stats!;
      expect(s.ice).toMatch(/^(connected|completed)$/);
      expect(s.dtls).toBe('connected');
      expect(s.codec).toMatch(/^PCM[UA]\/8000$/);
      expect(s.packetsReceived).toBeGreaterThan(200);
      expect(s.audioLevel).toBeGreaterThan(0);
      expect(await page.locator('#state').textContent()).toBe('in call');
      await page.evaluate(() => (globalThis as any).phone.hangup());
      await until(
        () => records.length,
        (n) => n > before,
        5000,
        'mdh call record',
      );
      const r = records[records.length - 1]!;
      expect(r.ended).toBe('remote-bye');
      expect(r.srtp).toBe('dtls');
      expect(r.media!.packetsSent).toBeGreaterThan(200);
      await until(
        () => pageState(page),
        (st) => st.state === 'ended',
        5000,
        'SIP.js session terminated',
      );
    } finally {
      await page.close();
    }
  }, 60_000);

  it('SIP.js with a wrong password: registration is refused', async () => {
    const page = await openPage('wrong', 'sipjs.html');
    try {
      const txt = await until(
        () => page.locator('#reg').textContent(),
        (t) => t !== '-' && t !== null,
        10_000,
        'registration outcome',
      );
      expect(txt).toMatch(/^failed: (401|403)/);
    } finally {
      await page.close();
    }
  }, 30_000);

  async function answeringPage(): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${web.url}?user=alice&pass=s3cret&register=1&answer=1`);
    await until(
      () => pageState(page),
      (s) => s.registered,
      10_000,
      'registration',
    );
    return page;
  }

  const peakHz = (p: Page) =>
    p.evaluate(() => (globalThis as any).phone.peakHz() as { hz: number; db: number; binHz: number } | null);

  it('mdh call reaches the page over UDP (mdh web bridges to WSS/WebRTC): 440 Hz heard in the page, its audio back', async () => {
    const page = await answeringPage();
    try {
      const bridged = web.pages.bridged;
      const report = placeCall({
        target: `sip:alice@127.0.0.1:${web.port}`,
        auth: { username: 'alice', password: 's3cret' },
        durationS: 8,
        toneHz: 440,
      });
      let settled: CallReport | undefined;
      void report.then((r) => {
        settled = r;
      });
      await until(
        () => pageState(page),
        (s) => s.state === 'in call' || settled !== undefined,
        15_000,
        'page answered',
      );
      expect(settled).toBeUndefined();
      expect(web.pages.bridged).toBe(bridged + 1);
      const peak = await until(
        () => peakHz(page),
        (v) => v !== null && v.db > -60 && Math.abs(v.hz - 440) <= 10,
        15_000,
        '440 Hz in the page',
      );
      expect(Math.abs(peak!.hz - 440)).toBeLessThanOrEqual(10);
      // the page's figures are sampled every 250 ms; the codec shows once an inbound-rtp report names it
      const s = (
        await until(
          () => pageState(page),
          (st) => st.stats?.dtls === 'connected' && st.stats.codec !== undefined,
          5000,
          'DTLS connected and the codec in getStats',
        )
      ).stats!;
      expect(s.dtls).toBe('connected');
      expect(s.ice).toMatch(/^(connected|completed)$/);
      expect(s.codec).toBe('PCMU/8000');
      const r = await report;
      expect(r.ok).toBe(true);
      expect(r.transport).toBe('udp');
      // the browser's (fake microphone) audio came back to mdh call through the bridge
      expect(r.media!.packetsSent).toBeGreaterThan(200);
      expect(r.media!.packetsReceived).toBeGreaterThan(100);
      expect(r.byeStatus).toBe(200);
      // mdh call hung up: the bridge ended the page's call with BYE
      await until(
        () => pageState(page),
        (st) => st.state === 'ended',
        5000,
        'page call ended',
      );
    } finally {
      await page.close();
    }
  }, 60_000);

  it('mdh call to the page, the page hangs up: mdh call sees the call end', async () => {
    const page = await answeringPage();
    try {
      const t0 = Date.now();
      const report = placeCall({
        target: `sip:alice@127.0.0.1:${web.port}`,
        auth: { username: 'alice', password: 's3cret' },
        durationS: 40,
      });
      await until(
        () => pageState(page),
        (s) => (s.stats?.packetsReceived ?? 0) > 20,
        15_000,
        'media in the page',
      );
      await page.evaluate(() => (globalThis as any).phone.hangup());
      const r = await report;
      expect(r.ok).toBe(true);
      expect(r.byeStatus).toBeUndefined(); // the BYE came from the far end
      expect(Date.now() - t0).toBeLessThan(30_000);
      expect(r.media!.packetsReceived).toBeGreaterThan(0);
    } finally {
      await page.close();
    }
  }, 60_000);

  it('mdh call to a user no page registered reaches the echo (over UDP), not a page', async () => {
    const bridged = web.pages.bridged;
    const r = await placeCall({
      target: `sip:nobody@127.0.0.1:${web.port}`,
      auth: { username: 'alice', password: 's3cret' },
      durationS: 1,
    });
    expect(web.pages.bridged).toBe(bridged);
    expect(r.ok).toBe(true);
    expect(r.media!.packetsReceived).toBeGreaterThan(20);
  }, 30_000);

  it('a wrong password is refused (registration fails)', async () => {
    const page = await openPage('wrong');
    try {
      const txt = await until(
        () => page.locator('#reg').textContent(),
        (t) => t !== '-' && t !== null,
        10_000,
        'registration outcome',
      );
      expect(txt).toMatch(/^failed/);
    } finally {
      await page.close();
    }
  }, 30_000);

  it('hang-up from mdh: the page sees the call end', async () => {
    const page = await openPage();
    try {
      await until(
        () => pageState(page),
        (s) => s.registered,
        10_000,
        'registration',
      );
      const n = calls.length;
      await page.evaluate(() => (globalThis as any).phone.call());
      await until(
        () => pageState(page),
        (s) => s.state === 'in call',
        15_000,
        'call confirmed',
      );
      await until(
        () => calls.length,
        (c) => c > n,
        5000,
        'mdh call',
      );
      await until(
        () => pageState(page),
        (s) => (s.stats?.packetsReceived ?? 0) > 20,
        10_000,
        'media',
      );
      const before = records.length;
      await calls[calls.length - 1]!.hangup();
      await until(
        () => pageState(page),
        (s) => s.state === 'ended',
        5000,
        'page call ended',
      );
      await until(
        () => records.length,
        (k) => k > before,
        5000,
        'mdh call record',
      );
      expect(records[records.length - 1]!.ended).toBe('local-bye');
    } finally {
      await page.close();
    }
  }, 60_000);

  it('closing the tab ends the call on mdh side within the consent timeout (ICE consent, RFC 7675)', async () => {
    const page = await openPage();
    await until(
      () => pageState(page),
      (s) => s.registered,
      10_000,
      'registration',
    );
    await page.evaluate(() => (globalThis as any).phone.call());
    await until(
      () => pageState(page),
      (s) => s.state === 'in call',
      15_000,
      'call confirmed',
    );
    await until(
      () => pageState(page),
      (s) => (s.stats?.packetsReceived ?? 0) > 20,
      10_000,
      'media',
    );
    const before = records.length;
    const t0 = Date.now();
    // no BYE: the tab goes away with its peer connection (runBeforeUnload off)
    await page.close({ runBeforeUnload: false });
    await until(
      () => records.length,
      (k) => k > before,
      CONSENT_MS + 6000,
      'mdh call record',
    );
    const r = records[records.length - 1]!;
    // no BYE came: the browser's consent checks stopped and mdh ended the call itself (with BYE)
    expect(r.ended).toBe('ice-failed');
    const took = Date.now() - t0;
    expect(took).toBeGreaterThan(CONSENT_MS - 1000);
    expect(took).toBeLessThan(CONSENT_MS + 6000);
  }, 60_000);

  it('mdh offers WebRTC SDP to a browser (ICE-lite, DTLS server): 440 Hz measured in the page, its audio back', async () => {
    const page = await browser.newPage();
    await page.goto(web.url); // a secure context for getUserMedia
    const cm = await CallMedia.open({ loop: web.echo!.ua.loop, srtp: 'dtls', ice: true, webrtc: true });
    const tone = new ToneGenerator({ frequency: 440 });
    let timer: NodeJS.Timeout | undefined;
    try {
      const offer = createSdpOffer({ ...cm.local, codecs: ['PCMU'] }, { sessionId: '42', version: 1 });
      const answer = await page.evaluate(async (sdp: string) => {
        const g = globalThis as any;
        const pc = new g.RTCPeerConnection();
        g.pc2 = pc;
        const mic = await g.navigator.mediaDevices.getUserMedia({ audio: true });
        pc.addTrack(mic.getAudioTracks()[0], mic);
        pc.ontrack = (e: any) => {
          // Chromium only pulls a remote track's audio through WebAudio while a media element plays it
          const el = new g.Audio();
          el.muted = true;
          el.srcObject = new g.MediaStream([e.track]);
          void el.play().catch(() => {});
          g.el = el;
          const ctx = new g.AudioContext();
          void ctx.resume();
          const src = ctx.createMediaStreamSource(new g.MediaStream([e.track]));
          const an = ctx.createAnalyser();
          an.fftSize = 8192;
          src.connect(an);
          g.peakHz = () => {
            const bins = new Float32Array(an.frequencyBinCount);
            an.getFloatFrequencyData(bins);
            let best = 0;
            for (let i = 1; i < bins.length; i++) if (bins[i]! > bins[best]!) best = i;
            return { hz: (best * ctx.sampleRate) / an.fftSize, db: bins[best], binHz: ctx.sampleRate / an.fftSize };
          };
        };
        await pc.setRemoteDescription({ type: 'offer', sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await new Promise<void>((r) => {
          if (pc.iceGatheringState === 'complete') r();
          pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
          setTimeout(r, 3000);
        });
        return pc.localDescription.sdp as string;
      }, offer);
      const neg = readSdpAnswer(answer, cm.local);
      expect(neg.remoteIce).toBeDefined();
      expect(neg.dtlsRole).toBe('server'); // the browser answers setup:active
      const media = cm.start(neg);
      const pcm = new Int16Array(160);
      timer = setInterval(() => {
        tone.fill(pcm);
        media.sendAudio(pcm);
      }, 20);
      const peak = await until(
        () => page.evaluate(() => ((globalThis as any).peakHz ? (globalThis as any).peakHz() : null)),
        (v) => v !== null && v.db > -60 && Math.abs(v.hz - 440) <= 10,
        15_000,
        '440 Hz in the page',
      );
      expect(Math.abs(peak!.hz - 440)).toBeLessThanOrEqual(10);
      const st = await page.evaluate(async () => {
        const pc = (globalThis as any).pc2;
        let dtls: string | undefined;
        (await pc.getStats()).forEach((s: any) => {
          if (s.type === 'transport') dtls = s.dtlsState;
        });
        return { ice: pc.iceConnectionState as string, dtls };
      });
      expect(st.dtls).toBe('connected');
      expect(cm.ice!.state).toBe('connected');
      // the browser's (fake microphone) audio reached mdh, decrypted
      await until(
        () => media.stats().received.packets,
        (n) => n > 100,
        10_000,
        'browser audio at mdh',
      );
      expect(media.stats().srtpProfile).toBeDefined();
    } finally {
      clearInterval(timer);
      await cm.close();
      await page.close();
    }
  }, 60_000);

  it('a WebRTC call whose ICE checks never arrive fails with reason no-checks after the ICE timeout', async () => {
    // the media of a call answered to a browser-shaped offer (ICE, DTLS) from a peer that never sends a STUN check;
    // CallMedia.attach turns this event into BYE with reason `ice-failed`, as the consent test above shows
    const page = await browser.newPage();
    const cm = await CallMedia.open({ loop: web.echo!.ua.loop, srtp: 'dtls', ice: true, iceConnectTimeoutMs: 1500 });
    try {
      const offer = await page.evaluate(async () => {
        const pc = new (globalThis as any).RTCPeerConnection();
        pc.addTransceiver('audio', { direction: 'sendrecv' });
        await pc.setLocalDescription(await pc.createOffer());
        return pc.localDescription.sdp as string; // never given our answer: no checks will come
      });
      const neg = answerSdpOffer(offer, cm.local, { sessionId: '5', version: 1 }).media;
      const t0 = Date.now();
      const media = cm.start(neg);
      const failed = await new Promise<{ reason: string; message: string }>((resolve) =>
        media.on('ice-failed', (e) => resolve(e)),
      );
      const took = Date.now() - t0;
      expect(failed.reason).toBe('no-checks');
      expect(failed.message).toMatch(/no valid ICE connectivity check arrived within 1500 ms/);
      expect(took).toBeGreaterThanOrEqual(1400);
      expect(took).toBeLessThan(4000);
      expect(cm.ice!.state).toBe('failed');
    } finally {
      await cm.close();
      await page.close();
    }
  }, 30_000);
});

describe.skipIf(!hasPeer('chromium'))('Opus (RFC 7587) with Chromium: mdh web --echo --opus', () => {
  let browser: Browser;
  let web: WebServer;
  const records: EchoCallRecord[] = [];

  beforeAll(async () => {
    web = await startWeb({
      port: 0,
      echo: true,
      opus: true,
      auth: { username: 'alice', password: 's3cret' },
      onCall: (r) => records.push(r),
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS, timeout: 30_000 });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await web?.stop();
  });

  it('JsSIP calls the echo: Opus is negotiated (the browser offers it first), audio flows both ways', async () => {
    const page = await browser.newPage();
    try {
      await page.goto(`${web.url}?user=alice&pass=s3cret&register=1`);
      await until(
        () => pageState(page),
        (s) => s.registered,
        10_000,
        'registration',
      );
      const before = records.length;
      await page.evaluate(() => (globalThis as any).phone.call());
      await until(
        () => pageState(page),
        (s) => s.state === 'in call',
        15_000,
        'call confirmed',
      );
      await new Promise((r) => setTimeout(r, 5000));
      const s = (await pageState(page)).stats!;
      expect(s.codec).toBe('opus/48000');
      expect(s.dtls).toBe('connected');
      expect(s.packetsSent).toBeGreaterThan(200);
      expect(s.packetsReceived).toBeGreaterThan(200);
      expect(s.audioLevel).toBeGreaterThan(0);
      await page.evaluate(() => (globalThis as any).phone.hangup());
      await until(
        () => records.length,
        (n) => n > before,
        5000,
        'mdh call record',
      );
      expect(records[records.length - 1]!.media!.packetsSent).toBeGreaterThan(200);
    } finally {
      await page.close();
    }
  }, 60_000);

  it("mdh offers only Opus: its encoder's 440 Hz is heard in the page, its decoder gets the browser's audio", async () => {
    const page = await browser.newPage();
    await page.goto(web.url);
    const cm = await CallMedia.open({ loop: web.ua.loop, srtp: 'dtls', ice: true, webrtc: true, codecs: ['opus'] });
    const tone = new ToneGenerator({ frequency: 440 });
    let timer: NodeJS.Timeout | undefined;
    try {
      const offer = createSdpOffer(cm.local, { sessionId: '43', version: 1 });
      expect(offer).toMatch(/^a=rtpmap:111 opus\/48000\/2\r?$/m);
      const answer = await page.evaluate(async (sdp: string) => {
        const g = globalThis as any;
        const pc = new g.RTCPeerConnection();
        g.pc3 = pc;
        const mic = await g.navigator.mediaDevices.getUserMedia({ audio: true });
        pc.addTrack(mic.getAudioTracks()[0], mic);
        pc.ontrack = (e: any) => {
          const el = new g.Audio();
          el.muted = true;
          el.srcObject = new g.MediaStream([e.track]);
          void el.play().catch(() => {});
          g.el3 = el;
          g.phone.listen(e.track);
        };
        await pc.setRemoteDescription({ type: 'offer', sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        await new Promise<void>((r) => {
          if (pc.iceGatheringState === 'complete') r();
          pc.onicegatheringstatechange = () => pc.iceGatheringState === 'complete' && r();
          setTimeout(r, 3000);
        });
        return pc.localDescription.sdp as string;
      }, offer);
      const neg = readSdpAnswer(answer, cm.local);
      expect(neg.codec).toBe('opus');
      expect(neg.clockRate).toBe(48000);
      const media = cm.start(neg);
      let decoded = 0;
      let loudest = 0;
      media.on('audio', (e) => {
        if (e.concealed) return;
        decoded++;
        for (const v of e.pcm) loudest = Math.max(loudest, Math.abs(v));
      });
      const pcm = new Int16Array(160); // 20 ms at the 8 kHz PCM API; 960 ticks of the 48 kHz RTP clock
      timer = setInterval(() => {
        tone.fill(pcm);
        media.sendAudio(pcm);
      }, 20);
      const peak = await until(
        () => page.evaluate(() => (globalThis as any).phone.peakHz()),
        (v: { hz: number; db: number } | null) => v !== null && v.db > -60 && Math.abs(v.hz - 440) <= 10,
        15_000,
        '440 Hz in the page',
      );
      expect(Math.abs(peak!.hz - 440)).toBeLessThanOrEqual(10);
      const codec = await page.evaluate(async () => {
        let c: string | undefined;
        (await (globalThis as any).pc3.getStats()).forEach((s: any) => {
          if (s.type === 'codec' && /opus/i.test(s.mimeType)) c = `${s.mimeType}/${s.clockRate}`;
        });
        return c;
      });
      expect(codec).toBe('audio/opus/48000');
      // the browser's (fake microphone) Opus, decoded by mdh to 8 kHz PCM
      await until(
        () => decoded,
        (n) => n > 100,
        10_000,
        'browser audio decoded at mdh',
      );
      expect(loudest).toBeGreaterThan(100);
    } finally {
      clearInterval(timer);
      await cm.close();
      await page.close();
    }
  }, 60_000);
});
