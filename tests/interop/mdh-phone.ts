// A small mdh softphone for interop tests: a UserAgent on UDP loopback whose calls (placed or answered) get real
// media (CallMedia, PCMU, RFC 4733) and send a tone every 20 ms while their SDP direction lets them send
// (RFC 3264 §6.1: sendrecv or sendonly; a held-by-the-peer recvonly/inactive call sends nothing).
import { type MediaChannel, ToneGenerator } from '@mdh/media';
import {
  answerSdpOffer,
  type Call,
  CallMedia,
  createSdpOffer,
  listenTransport,
  readSdpAnswer,
  sdpDirection,
  UserAgent,
} from '@mdh/sip';

/** What the phone saw of one call. */
export interface PhoneCall {
  call: Call;
  media: MediaChannel;
  /** Directions of our SDP after every offer/answer (initial, then each `updated`). */
  directions: string[];
  /** Digits from the peer (RFC 4733 or SIP INFO), with their source. */
  digits: { digit: string; source: string }[];
}

/** A running mdh phone. */
export interface MdhPhone {
  ua: UserAgent;
  port: number;
  uri: string;
  /** Calls in the order they were established (placed or answered). */
  calls: PhoneCall[];
  /** Places a call with media. */
  dial(target: string): Promise<PhoneCall>;
  /** Resolves with the `n`th call (0-based) once it exists; rejects after `timeoutMs`. */
  waitCall(n: number, timeoutMs?: number): Promise<PhoneCall>;
  close(): Promise<void>;
}

/** Whether our SDP lets us send (RFC 3264 §6.1). */
function canSend(call: Call): boolean {
  const d = sdpDirection(call.localSdp ?? '');
  return d === 'sendrecv' || d === 'sendonly';
}

/** Starts an mdh phone answering every call with media and a `toneHz` tone. */
export async function startPhone(user: string, toneHz = 440): Promise<MdhPhone> {
  const t = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
  const ua = new UserAgent({ transports: [t], user });
  ua.stack.onError = () => {};
  const calls: PhoneCall[] = [];
  const waiters = new Set<() => void>();
  const track = (call: Call, media: MediaChannel): PhoneCall => {
    const pc: PhoneCall = { call, media, directions: [sdpDirection(call.localSdp ?? '')], digits: [] };
    const tone = new ToneGenerator({ frequency: toneHz });
    const frame = new Int16Array(160);
    const sender = ua.loop.every(20, () => {
      if (!canSend(call)) return;
      tone.fill(frame);
      media.sendAudio(frame);
    });
    call.on('updated', () => pc.directions.push(sdpDirection(call.localSdp ?? '')));
    call.on('dtmf', (e) => pc.digits.push({ digit: e.digit, source: e.source ?? 'info' }));
    call.on('ended', () => ua.loop.cancel(sender));
    // a REFER (RFC 3515): the referred call gets media of its own (ReferRequest.offer), tracked like any other
    call.on('refer', (e) => {
      const cm = CallMedia.open({ loop: ua.loop, srtp: 'none', rtcpMux: false });
      e.offer = cm.then((m) => createSdpOffer(m.local, { sessionId: '3', version: 1 }));
      void e.call.then(
        async (c) => {
          const m = await cm;
          track(c, m.attach(c, readSdpAnswer(c.remoteSdp ?? '', m.local)));
        },
        async () => (await cm).close(),
      );
    });
    calls.push(pc);
    for (const w of waiters) w();
    return pc;
  };
  ua.on('invite', async (inv) => {
    const cm = await CallMedia.open({ loop: ua.loop, srtp: 'none', rtcpMux: false });
    let a: ReturnType<typeof answerSdpOffer>;
    try {
      a = answerSdpOffer(inv.remoteSdp ?? '', cm.local, { sessionId: '1', version: 1 });
    } catch (e) {
      await cm.close();
      throw e;
    }
    const call = await inv.answer(a.sdp);
    track(call, cm.attach(call, a.media));
  });
  const port = t.localPort;
  const phone: MdhPhone = {
    ua,
    port,
    uri: `sip:${user}@127.0.0.1:${port}`,
    calls,
    async dial(target) {
      const cm = await CallMedia.open({ loop: ua.loop, srtp: 'none', rtcpMux: false });
      const call = await ua.invite(target, { sdp: createSdpOffer(cm.local, { sessionId: '2', version: 1 }) }).result;
      return track(call, cm.attach(call, readSdpAnswer(call.remoteSdp ?? '', cm.local)));
    },
    waitCall(n, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const c = calls[n];
          if (!c) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(c);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`${user}: no call #${n} within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
    close: () => ua.close(),
  };
  return phone;
}
