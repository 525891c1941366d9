import { describe, expect, it } from 'vitest';
import { type Call, type CallDtmf, parseDtmfInfo, parseMessage, type SipRequest, UserAgent } from '../src/index.js';
import { offer, world } from './world.js';

// DTMF by SIP INFO (application/dtmf-relay, application/dtmf) as the call's `dtmf` event.

function info(contentType: string, body: string): SipRequest {
  const text = [
    'INFO sip:b@127.0.0.1 SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.2;branch=z9hG4bKi',
    'From: <sip:a@x>;tag=1',
    'To: <sip:b@y>;tag=2',
    'Call-ID: i@x',
    'CSeq: 5 INFO',
    `Content-Type: ${contentType}`,
    `Content-Length: ${body.length}`,
    '',
    body,
  ].join('\r\n');
  return parseMessage(text) as SipRequest;
}

describe('DTMF over SIP INFO', () => {
  it('parses dtmf-relay and dtmf bodies; rejects bodies without a valid digit', () => {
    expect(parseDtmfInfo(info('application/dtmf-relay', 'Signal=5\r\nDuration=160\r\n'))).toEqual({
      digit: '5',
      durationMs: 160,
      source: 'info',
    });
    expect(parseDtmfInfo(info('application/dtmf-relay', 'Signal= 11\r\nDuration=100\r\n'))?.digit).toBe('#');
    expect(parseDtmfInfo(info('application/dtmf-relay', 'signal=*\nduration=80'))?.durationMs).toBe(80);
    expect(parseDtmfInfo(info('application/dtmf', '9'))?.digit).toBe('9');
    expect(parseDtmfInfo(info('application/dtmf-relay', 'Signal=Z\r\n'))).toBeUndefined();
    expect(parseDtmfInfo(info('application/dtmf-relay', 'Duration=100\r\n'))).toBeUndefined();
  });

  it('call.sendDtmfInfo → the peer call emits `dtmf` per digit; a malformed INFO gets 400 and no event', async () => {
    const w = world();
    const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], user: 'bob' });
    const uac = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.1', 5060)], user: 'alice' });
    let bob: Call | undefined;
    uas.on('invite', (i) => {
      void i.answer(offer).then((c) => {
        bob = c;
      });
    });
    const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer });
    await w.run(20);
    const alice = await out.result;
    const got: CallDtmf[] = [];
    bob!.on('dtmf', (e) => got.push(e));
    const sent = alice.sendDtmfInfo('1#', 120);
    await w.run(50);
    expect(await sent).toBe(200);
    expect(got).toEqual([
      { digit: '1', durationMs: 120, source: 'info' },
      { digit: '#', durationMs: 120, source: 'info' },
    ]);
    const bad = alice.request('INFO', { data: 'Signal=x\r\n', contentType: 'application/dtmf-relay' });
    await w.run(20);
    expect((await bad).status).toBe(400);
    expect(got).toHaveLength(2);
    expect(alice.state).toBe('confirmed');
    await expect(alice.sendDtmfInfo('x')).rejects.toThrow(RangeError);
  });
});
