import { ToneGenerator } from '@mdh/media';
import { listenTransport, UserAgent } from '@mdh/sip';

/** An IVR: answers every call, plays a prompt, collects four DTMF digits, hangs up. */
export async function startIvr(port = 5070, onDigits: (digits: string) => void = console.log) {
  const transport = await listenTransport('udp', { host: '127.0.0.1', port });
  // media: true — the user agent opens each call's media from the SDP offer/answer (call.media)
  const ua = new UserAgent({ transports: [transport], user: 'ivr', media: true });
  ua.on('invite', async (inv) => {
    const call = await inv.answer();
    const media = call.media!;
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
    call.once('ended', () => ua.loop.cancel(playing)); // the media closes (RTCP BYE) with the call
  });
  return ua;
}
