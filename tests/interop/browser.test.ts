// Issue #13, proven by a real browser and a real browser SIP library: headless Chromium opens the `mdh web --echo
// --auth` page, whose JsSIP (packed from the npm package by mdh web) registers with digest auth over WSS and calls the
// echo. Media is DTLS-SRTP over ICE-lite; the page's getStats() must show the echoed audio coming back.
import type { Call, IncomingCall } from '@mdh/sip';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EchoCallRecord } from '../../packages/cli/src/commands/echo.js';
import { startWeb, type WebServer } from '../../packages/cli/src/commands/web.js';
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

  async function openPage(pass = 's3cret'): Promise<Page> {
    const page = await browser.newPage();
    await page.goto(`${web.url}?user=alice&pass=${pass}&register=1`);
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
      const shot = await page.screenshot();
      expect(shot.length).toBeGreaterThan(1000);
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
});
