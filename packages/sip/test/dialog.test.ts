import { createLoop, ManualClock } from '@mdh/loop';
import { describe, expect, it } from 'vitest';
import {
  Dialog,
  DialogSequenceError,
  parseMessage,
  type SipRequest,
  type SipResponse,
  serializeMessage,
  UserAgent,
} from '../src/index.js';
import { MemoryNetwork } from '../src/testing.js';

const req = (s: string) => parseMessage(`${s.split('\n').join('\r\n')}\r\n\r\n`) as SipRequest;
const res = (s: string) => parseMessage(`${s.split('\n').join('\r\n')}\r\n\r\n`) as SipResponse;

const invite = req(`INVITE sip:bob@biloxi.example.com SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8
Max-Forwards: 70
To: Bob <sip:bob@biloxi.example.com>
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:alice@pc33.atlanta.example.com>
Record-Route: <sip:p2.example.com;lr>
Record-Route: <sip:p1.example.com;lr>
Content-Length: 0`);

const ok = res(`SIP/2.0 200 OK
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKnashds8
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314159 INVITE
Contact: <sip:bob@192.0.2.4>
Record-Route: <sip:p2.example.com;lr>
Record-Route: <sip:p1.example.com;lr>
Content-Length: 0`);

describe('Dialog (RFC 3261 §12)', () => {
  it('UAC: route set is Record-Route reversed, remote target is the Contact, CSeq increments', () => {
    const d = Dialog.fromUacResponse(invite, ok);
    expect(d.id).toBe('a84b4c76e66710;1928301774;a6c85cf');
    expect(d.state).toBe('confirmed');
    expect(d.routeSet).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(d.remoteTarget).toBe('sip:bob@192.0.2.4');
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:bob@192.0.2.4');
    expect(bye.getAll('route')).toEqual(['<sip:p1.example.com;lr>', '<sip:p2.example.com;lr>']);
    expect(bye.cseq).toEqual({ seq: 314160, method: 'BYE' });
    expect(bye.from?.tag).toBe('1928301774');
    expect(bye.to?.tag).toBe('a6c85cf');
    expect(bye.callId).toBe('a84b4c76e66710');
    const ack = d.createAck(314159);
    expect(ack.cseq).toEqual({ seq: 314159, method: 'ACK' });
    expect(d.createRequest('INFO').cseq?.seq).toBe(314161);
  });

  it('strict router: the first route becomes the Request-URI and the remote target the last Route', () => {
    const text = new TextDecoder()
      .decode(serializeMessage(ok))
      .replace('<sip:p1.example.com;lr>', '<sip:p1.example.com>');
    const d = Dialog.fromUacResponse(invite, parseMessage(text) as SipResponse);
    const bye = d.createRequest('BYE');
    expect(bye.uri).toBe('sip:p1.example.com');
    expect(bye.getAll('route')).toEqual(['<sip:p2.example.com;lr>', '<sip:bob@192.0.2.4>']);
  });

  it('UAS: route set in order, CSeq must grow, a re-INVITE refreshes the remote target', () => {
    const d = Dialog.fromUasRequest(invite, 'a6c85cf', '<sip:bob@192.0.2.4>');
    expect(d.id).toBe('a84b4c76e66710;a6c85cf;1928301774');
    expect(d.routeSet).toEqual(['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
    expect(d.remoteTarget).toBe('sip:alice@pc33.atlanta.example.com');
    expect(d.remoteSeq).toBe(314159);
    const old = req(`BYE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKold
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314158 BYE
Content-Length: 0`);
    expect(() => d.handleRemoteRequest(old)).toThrow(DialogSequenceError);
    const reinvite = req(`INVITE sip:bob@192.0.2.4 SIP/2.0
Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKre
To: Bob <sip:bob@biloxi.example.com>;tag=a6c85cf
From: Alice <sip:alice@atlanta.example.com>;tag=1928301774
Call-ID: a84b4c76e66710
CSeq: 314160 INVITE
Contact: <sip:alice@198.51.100.7:5070>
Content-Length: 0`);
    d.handleRemoteRequest(reinvite);
    expect(d.remoteTarget).toBe('sip:alice@198.51.100.7:5070');
    expect(d.remoteSeq).toBe(314160);
    const byeOut = d.createRequest('BYE');
    expect(byeOut.from?.tag).toBe('a6c85cf');
    expect(byeOut.to?.tag).toBe('1928301774');
    expect(byeOut.getAll('route')).toEqual(['<sip:p2.example.com;lr>', '<sip:p1.example.com;lr>']);
    d.terminate();
    expect(() => d.createRequest('BYE')).toThrow(/terminated/);
  });
});

describe('forked 2xx (RFC 3261 §13.2.2.4)', () => {
  it('keeps the first dialog, ACKs every 2xx and sends BYE on the extra ones', async () => {
    const clock = new ManualClock(0);
    const loop = createLoop({ clock });
    const net = new MemoryNetwork({ schedule: (_ms, f) => queueMicrotask(f) });
    const uac = new UserAgent({ loop, transports: [net.attach('127.0.0.1', 5060)], user: 'alice' });
    const fork = net.attach('127.0.0.2', 5060);
    const seen: string[] = [];
    fork.onPacket((p) => {
      const m = parseMessage(p.data);
      if (m.kind !== 'request') return;
      seen.push(`${m.method} ${m.to?.tag ?? ''}`);
      const answer = (status: number, tag: string, src = m) => {
        const lines = [
          `SIP/2.0 ${status} ${status === 200 ? 'OK' : 'Ringing'}`,
          ...src.getAll('via').map((v) => `Via: ${v}`),
          `From: ${src.get('from')}`,
          `To: ${src.get('to')}${src.to?.tag ? '' : `;tag=${tag}`}`,
          `Call-ID: ${src.callId}`,
          `CSeq: ${src.get('cseq')}`,
          `Contact: <sip:${tag}@127.0.0.2:5060>`,
          'Content-Length: 0',
          '',
          '',
        ];
        void fork.send(new TextEncoder().encode(lines.join('\r\n')), p.source);
      };
      if (m.method === 'INVITE') {
        answer(200, 'forkA');
        answer(200, 'forkB');
      } else if (m.method === 'BYE') answer(200, '');
    });
    const p = uac.invite('sip:bob@127.0.0.2', { sdp: 'v=0\r\n' }).result;
    for (let i = 0; i < 10; i++) await new Promise<void>((r) => setImmediate(r));
    const call = await p;
    expect(call.dialog.remoteTag).toBe('forkA');
    expect(seen.filter((s) => s.startsWith('ACK')).sort()).toEqual(['ACK forkA', 'ACK forkB']);
    expect(seen).toContain('BYE forkB');
    expect(seen).not.toContain('BYE forkA');
    expect(uac.activeCalls).toBe(1);
  });
});
