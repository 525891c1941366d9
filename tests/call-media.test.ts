/**
 * End to end over loopback through the public API only: a caller user agent and an echoing one, both with the UA
 * option `media` (the UA opens each call's `MediaSession` from the SDP offer/answer), in plain RTP, SDES-SRTP and
 * DTLS-SRTP. The tone comes back, RTCP flows both ways (SR/RR, and the BYE at hangup), and the RFC 4733 digits the
 * caller sends are reported by the echo exactly once each.
 */
import { dominantFrequency, type MediaChannel, ToneGenerator } from '@mdh/media';
import { type Call, callMediaReport, listenTransport, type SrtpMode, UserAgent } from '@mdh/sip';
import { describe, expect, it } from 'vitest';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a call between two user agents with MediaSession on both sides (public API)', () => {
  for (const srtp of ['none', 'sdes', 'dtls'] as SrtpMode[]) {
    it(`tone echoed, RTCP both ways, DTMF reported (${srtp})`, async () => {
      const echoUa = new UserAgent({
        transports: [await listenTransport('udp', { host: '127.0.0.1', port: 0 })],
        user: 'echo',
        media: { session: { decodeAudio: false } },
      });
      const caller = new UserAgent({
        transports: [await listenTransport('udp', { host: '127.0.0.1', port: 0 })],
        media: { srtp, session: { reflector: true } },
      });
      const digits: string[] = [];
      let echoCall: Call | undefined;
      let echoMedia: MediaChannel | undefined;
      echoUa.on('invite', async (inv) => {
        const call = await inv.answer({
          // echo every packet back from its own buffer, from the first one on
          onMedia: (m) => {
            echoMedia = m;
            m.on('rtp', (e) => m.echoRtp(e.bytes));
          },
        });
        call.on('dtmf', (e) => digits.push(e.digit));
        echoCall = call;
      });
      try {
        const call = await caller.invite(`sip:echo@127.0.0.1:${echoUa.stack.transports[0]!.localPort}`).result;
        const media = call.media!;
        const heard: number[] = [];
        media.on('audio', (e) => {
          if (!e.concealed) for (const x of e.pcm) if (heard.length < 16000) heard.push(x);
        });
        const tone = new ToneGenerator({ frequency: 440 });
        const frame = new Int16Array(160);
        const sender = setInterval(() => {
          if (media.state !== 'active') return;
          tone.fill(frame);
          media.sendAudio(frame);
        }, 20);
        setTimeout(() => media.state === 'active' && media.sendDtmf('1234#'), 1000);
        await sleep(4000);
        clearInterval(sender);
        await sleep(300);
        const m = callMediaReport(media.stats());
        expect(m.packetsSent).toBeGreaterThan(150);
        expect(m.packetsReceived).toBeGreaterThan(150);
        expect(m.dropped).toBe(0);
        if (srtp !== 'none') expect(m.srtpProfile).toBeTruthy();
        expect(Math.abs(dominantFrequency(heard) - 440)).toBeLessThan(3);
        expect(m.rtcpSent).toBeGreaterThanOrEqual(1);
        expect(m.rtcpReceived).toBeGreaterThanOrEqual(1);
        expect(m.remotePacketsSent).toBeGreaterThan(0);
        expect(digits.join('')).toBe('1234#');
        expect(echoMedia).toBe(echoCall!.media);
        const e = callMediaReport(echoMedia!.stats());
        expect(e.rtcpReceived).toBeGreaterThanOrEqual(1);
        expect(e.packetsReceived).toBeGreaterThan(150);
        expect(await call.hangup()).toBe(200);
        for (let i = 0; i < 100 && echoCall!.state !== 'ended'; i++) await sleep(20);
        expect(echoCall!.endReason).toBe('remote-bye');
        expect(echoMedia!.state).toBe('closed');
      } finally {
        await caller.close();
        await echoUa.close();
      }
    }, 30_000);
  }
});
