/**
 * The user agent opens each call's media itself (UA option `media`): two user agents over loopback, placing and
 * answering calls through the public API only (`ua.invite(target)`, `inv.answer()`, `call.media`). Audio both ways,
 * RFC 4733 DTMF, RTCP, hold/resume pausing the held side's RTP (RFC 3264 §8.4), BYE closing the media, and a media
 * timeout ending the call with its own reason.
 */
import { dominantFrequency, ToneGenerator } from '@mdh/media';
import {
  type Call,
  type CallMediaSettings,
  type IncomingCall,
  listenTransport,
  type SrtpMode,
  sdpDirection,
  UserAgent,
} from '@mdh/sip';
import { afterEach, describe, expect, it } from 'vitest';

const agents: UserAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

async function agent(user: string, media: boolean | CallMediaSettings): Promise<UserAgent> {
  const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
  const ua = new UserAgent({ transports: [t], user, media, sessionTimers: false });
  ua.stack.onError = () => {};
  agents.push(ua);
  return ua;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits (bounded) until `f()` holds. */
async function until(f: () => boolean, ms = 15_000): Promise<void> {
  for (let t = 0; t < ms && !f(); t += 20) await sleep(20);
}

/** Sends a tone on the call's media every 20 ms until stopped; counts frames the session accepted. */
function talk(call: Call, hz: number) {
  const tone = new ToneGenerator({ frequency: hz });
  const frame = new Int16Array(160);
  const st = { offered: 0, sent: 0 };
  const timer = setInterval(() => {
    const m = call.media;
    if (m?.state !== 'active') return;
    tone.fill(frame);
    st.offered++;
    if (m.sendAudio(frame)) st.sent++;
  }, 20);
  return { st, stop: () => clearInterval(timer) };
}

/** Collects up to 2 s of received, non-concealed audio. */
function listen(call: Call) {
  const heard: number[] = [];
  call.media!.on('audio', (e) => {
    if (e.concealed) return;
    for (let i = 0; i < e.pcm.length && heard.length < 16000; i++) heard.push(e.pcm[i]!);
  });
  return heard;
}

describe('UserAgent with media: true (the UA owns the call media)', () => {
  for (const srtp of ['none', 'sdes', 'dtls'] as SrtpMode[]) {
    it(`invite() offers, answer() answers, audio and DTMF both ways, RTCP, BYE closes the media (${srtp})`, async () => {
      const alice = await agent('alice', { srtp });
      const bob = await agent('bob', true);
      let bobCall: Call | undefined;
      const bobDigits: string[] = [];
      let bobHeard: number[] = [];
      let bobTalk: ReturnType<typeof talk> | undefined;
      bob.on('invite', async (inv: IncomingCall) => {
        const call = await inv.answer();
        bobCall = call;
        call.on('dtmf', (e) => bobDigits.push(e.digit));
        bobHeard = listen(call);
        bobTalk = talk(call, 1000);
      });
      const call = await alice.invite(`sip:bob@127.0.0.1:${bob.stack.transports[0]!.localPort}`).result;
      expect(call.media).toBeDefined();
      expect(call.localSdp).toMatch(
        srtp === 'dtls' ? /UDP\/TLS\/RTP\/SAVP/ : srtp === 'sdes' ? /RTP\/SAVP/ : /RTP\/AVP/,
      );
      const aliceHeard = listen(call);
      const aliceTalk = talk(call, 440);
      const secure: string[] = [];
      call.media!.on('secure', (e) => secure.push(e.profile));
      await until(() => bobCall !== undefined);
      await until(() => call.media!.state === 'active');
      await sleep(1000);
      call.media!.sendDtmf('12#');
      await sleep(3000);
      aliceTalk.stop();
      bobTalk?.stop();
      await until(() => bobDigits.length >= 3, 3000);
      expect(bobDigits.join('')).toBe('12#');
      expect(Math.abs(dominantFrequency(aliceHeard) - 1000)).toBeLessThan(5);
      expect(Math.abs(dominantFrequency(bobHeard) - 440)).toBeLessThan(5);
      const sa = call.media!.stats();
      const sb = bobCall!.media!.stats();
      expect(sa.keying).toBe(srtp);
      expect(sb.keying).toBe(srtp);
      if (srtp !== 'none') expect(sa.srtpProfile).toBe(sb.srtpProfile);
      expect(sa.received.packets).toBeGreaterThan(100);
      expect(sb.received.packets).toBeGreaterThan(100);
      expect(sa.rtcp.received + sb.rtcp.received).toBeGreaterThan(0);
      // the call ends: both media close, each sending its RTCP BYE compound (RFC 3550 §6.3.7; the SIP BYE
      // races it, so the peer may have closed its port already)
      const rtcpBefore = call.media!.stats().rtcp.sent;
      expect(await call.hangup()).toBe(200);
      await until(() => bobCall!.state === 'ended', 5000);
      expect(bobCall!.endReason).toBe('remote-bye');
      expect(call.endReason).toBe('local-bye');
      expect(call.media!.state).toBe('closed');
      expect(call.media!.stats().rtcp.sent).toBe(rtcpBefore + 1);
      await until(() => bobCall!.media!.state === 'closed', 2000);
      expect(bobCall!.media!.state).toBe('closed');
    }, 30_000);
  }

  it('hold (RFC 3264 §8.4): the held side stops its RTP and RTCP goes on; resume restarts it', async () => {
    const alice = await agent('alice', { srtp: 'sdes' });
    const bob = await agent('bob', true);
    let bobCall: Call | undefined;
    let bobTalk: ReturnType<typeof talk> | undefined;
    bob.on('invite', async (inv: IncomingCall) => {
      bobCall = await inv.answer();
      bobTalk = talk(bobCall, 1000);
    });
    const call = await alice.invite(`sip:bob@127.0.0.1:${bob.stack.transports[0]!.localPort}`).result;
    const aliceTalk = talk(call, 440);
    try {
      await until(() => bobCall !== undefined);
      await sleep(600);
      const got0 = call.media!.stats().received.packets;
      expect(got0).toBeGreaterThan(10);
      // alice holds: her offer is sendonly, bob answers recvonly and stops sending; alice may still send (§8.4)
      await call.hold();
      expect(sdpDirection(call.localSdp!)).toBe('sendonly');
      expect(bobCall!.media!.direction).toBe('recvonly');
      expect(call.media!.direction).toBe('sendonly');
      await sleep(200); // packets in flight
      const held0 = call.media!.stats().received.packets;
      const bobGot0 = bobCall!.media!.stats().received.packets;
      const bobOffered0 = bobTalk!.st.offered;
      const bobSent0 = bobTalk!.st.sent;
      await sleep(1000);
      expect(call.media!.stats().received.packets).toBe(held0);
      expect(bobTalk!.st.offered - bobOffered0).toBeGreaterThan(20);
      expect(bobTalk!.st.sent).toBe(bobSent0);
      expect(bobCall!.media!.stats().received.packets - bobGot0).toBeGreaterThan(20);
      // resume: sendrecv again, bob's RTP comes back
      await call.resume();
      expect(bobCall!.media!.direction).toBe('sendrecv');
      await sleep(600);
      expect(call.media!.stats().received.packets - held0).toBeGreaterThan(10);
      // bob holds by UPDATE this time: bob sendonly, alice recvonly (alice's RTP stops)
      await bobCall!.hold({ method: 'UPDATE' });
      expect(call.media!.direction).toBe('recvonly');
      expect(bobCall!.media!.direction).toBe('sendonly');
      const aSent = aliceTalk.st.sent;
      await sleep(500);
      expect(aliceTalk.st.sent).toBe(aSent);
      await bobCall!.resume({ method: 'UPDATE' });
      expect(call.media!.direction).toBe('sendrecv');
      await sleep(300);
      expect(aliceTalk.st.sent).toBeGreaterThan(aSent);
    } finally {
      aliceTalk.stop();
      bobTalk?.stop();
    }
  }, 30_000);

  it('DTLS-SRTP without rtcp-mux: SRTCP on the RTCP ports, keyed by their own DTLS association', async () => {
    const alice = await agent('alice', { srtp: 'dtls', rtcpMux: false });
    const bob = await agent('bob', true);
    let bobCall: Call | undefined;
    bob.on('invite', async (inv: IncomingCall) => {
      bobCall = await inv.answer();
    });
    const call = await alice.invite(`sip:bob@127.0.0.1:${bob.stack.transports[0]!.localPort}`).result;
    expect(call.localSdp).not.toMatch(/a=rtcp-mux/);
    expect(call.remoteSdp).not.toMatch(/a=rtcp-mux/);
    const aliceTalk = talk(call, 440);
    await until(() => bobCall !== undefined);
    const bobTalk = talk(bobCall!, 1000);
    try {
      // RTCP's first report comes within 1.25..3.8 s (RFC 3550 A.7 with the 5 s minimum)
      await until(() => call.media!.stats().rttMs !== undefined && bobCall!.media!.stats().rttMs !== undefined, 12_000);
      const sa = call.media!.stats();
      const sb = bobCall!.media!.stats();
      expect(call.media!.localRtcp.port).toBe(call.media!.local.port + 1);
      expect(sa.rtcp.received).toBeGreaterThan(0);
      expect(sb.rtcp.received).toBeGreaterThan(0);
      expect(sa.rttMs).toBeLessThan(1000);
      expect(sa.dropped.rtcp + sb.dropped.rtcp).toBe(0);
      expect(sa.received.packets).toBeGreaterThan(50);
    } finally {
      aliceTalk.stop();
      bobTalk.stop();
    }
  }, 30_000);

  it('a peer whose media stops: the call ends with media-timeout (BYE to the peer)', async () => {
    const alice = await agent('alice', true);
    const bob = await agent('bob', { session: { mediaTimeoutMs: 1500 } });
    let bobCall: Call | undefined;
    bob.on('invite', async (inv: IncomingCall) => {
      bobCall = await inv.answer();
    });
    const call = await alice.invite(`sip:bob@127.0.0.1:${bob.stack.transports[0]!.localPort}`).result;
    await until(() => bobCall !== undefined);
    // alice's media goes silent (closed: one BYE, then nothing); the SIP side is still up
    await call.media!.close('gone');
    await until(() => call.state === 'ended', 10_000);
    expect(bobCall!.endReason).toBe('media-timeout');
    expect(call.endReason).toBe('remote-bye');
  }, 20_000);

  it('an offer the answerer does not accept (accept: dtls vs an SDES offer) is rejected 488', async () => {
    const alice = await agent('alice', { srtp: 'sdes' });
    const bob = await agent('bob', { accept: 'dtls' });
    bob.on('invite', (inv: IncomingCall) => void inv.answer().catch(() => {}));
    const port = bob.stack.transports[0]!.localPort;
    await expect(alice.invite(`sip:bob@127.0.0.1:${port}`).result).rejects.toMatchObject({ status: 488 });
    expect(alice.stats().calls).toBe(0);
  }, 20_000);
});
