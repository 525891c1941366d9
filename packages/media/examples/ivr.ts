import { ToneGenerator } from '@mdh/media';
import { answerSdpOffer, CallMedia, listenTransport, UserAgent } from '@mdh/sip';

/** An IVR: answers every call, plays a prompt, collects four DTMF digits, hangs up. */
export async function startIvr(port = 5070, onDigits: (digits: string) => void = console.log) {
  const ua = new UserAgent({ transports: [await listenTransport('udp', { host: '127.0.0.1', port })], user: 'ivr' });
  ua.on('invite', async (inv) => {
    const cm = await CallMedia.open({ loop: ua.loop, srtp: 'none' });
    const { sdp, media: negotiated } = answerSdpOffer(inv.remoteSdp ?? '', cm.local, { sessionId: '1', version: 1 });
    const call = await inv.answer(sdp);
    const media = cm.attach(call, negotiated); // call.media: a MediaSession on the loop
    const prompt = new ToneGenerator({ frequency: [440, 480] });
    const frame = new Int16Array(160); // 20 ms at 8 kHz
    const playing = ua.loop.every(20, () => {
      prompt.fill(frame);
      media.sendAudio(frame);
    });
    let digits = '';
    media.on('dtmf', (e) => {
      digits += e.digit;
      if (digits.length === 4) void call.hangup().then(() => onDigits(digits));
    });
    call.once('ended', () => ua.loop.cancel(playing));
  });
  return ua;
}
