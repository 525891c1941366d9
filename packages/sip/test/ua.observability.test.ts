import diagnostics_channel from 'node:diagnostics_channel';
import { describe, expect, it } from 'vitest';
import { formatTrace, type SipTraceEvent, UserAgent } from '../src/index.js';
import { offer, world } from './world.js';

// Observability: diagnostics channels for every message, the logger option (function or pino-like).

const text = (e: SipTraceEvent) => new TextDecoder().decode(e.data).split('\r\n')[0]!;

describe('observability', () => {
  it('mdh:sip:send / mdh:sip:receive carry every message; the logger hears sip.* and call.ended', async () => {
    const sent: string[] = [];
    const received: string[] = [];
    const onSend = (m: unknown) => sent.push(text(m as SipTraceEvent));
    const onReceive = (m: unknown) => received.push(text(m as SipTraceEvent));
    diagnostics_channel.subscribe('mdh:sip:send', onSend);
    diagnostics_channel.subscribe('mdh:sip:receive', onReceive);
    try {
      const w = world();
      const logs: string[] = [];
      const pinoLike = {
        info: (f: Record<string, unknown>, msg?: string) => logs.push(`pino:${msg}:${String(f.reason)}`),
        debug: () => {},
      };
      const uas = new UserAgent({ loop: w.loop, transports: [w.net.attach('127.0.0.2', 5060)], logger: pinoLike });
      const uac = new UserAgent({
        loop: w.loop,
        transports: [w.net.attach('127.0.0.1', 5060)],
        logger: (level, event, fields) => logs.push(`${level}:${event}:${String(fields.startLine ?? fields.reason)}`),
      });
      uas.on('invite', (i) => void i.answer(offer));
      const out = uac.invite('sip:bob@127.0.0.2:5060', { sdp: offer, headers: [['Supported', '']] });
      await w.run(20);
      const call = await out.result;
      const bye = call.hangup();
      await w.run(20);
      expect(await bye).toBe(200);
      const methods = (l: string[]) =>
        l.map((s) => (s.split(' ')[0] === 'SIP/2.0' ? s.split(' ')[1] : s.split(' ')[0]));
      // both UAs share the channels: each message is sent once and received once
      expect(methods(sent).sort()).toEqual(['200', '200', 'ACK', 'BYE', 'INVITE']);
      expect(methods(received).sort()).toEqual(['200', '200', 'ACK', 'BYE', 'INVITE']);
      expect(logs).toContain('debug:sip.send:INVITE sip:bob@127.0.0.2:5060 SIP/2.0');
      expect(logs).toContain('debug:sip.receive:SIP/2.0 200 OK');
      expect(logs).toContain('info:call.ended:local-bye');
      expect(logs).toContain('pino:call.ended:remote-bye');
    } finally {
      diagnostics_channel.unsubscribe('mdh:sip:send', onSend);
      diagnostics_channel.unsubscribe('mdh:sip:receive', onReceive);
    }
  });

  it('formatTrace prints the start line and headers, not the body', () => {
    const data = new TextEncoder().encode(
      'OPTIONS sip:a@b SIP/2.0\r\nCall-ID: x\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\nhello',
    );
    const s = formatTrace({
      direction: 'send',
      data,
      peer: { address: '::1', port: 5060 },
      protocol: 'udp',
      local: '',
    });
    expect(s).toContain('>> to [::1]:5060 (udp, ');
    expect(s).toContain('OPTIONS sip:a@b SIP/2.0\nCall-ID: x\n');
    expect(s).not.toContain('hello');
  });
});
