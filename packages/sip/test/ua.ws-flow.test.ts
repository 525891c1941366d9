// RFC 7118 §5: a WebSocket client's Contact is not resolvable, so requests to it go over the connection it came on
// (its flow). A plain `ws` client speaking SIP text (not a SIP library) checks that mdh's in-dialog requests (BYE,
// re-INVITE, ACK) and a new INVITE to a contact registered over WS arrive on the client's existing socket, and that
// mdh never opens another connection.
import { createLoop, type Loop } from '@mdh/loop';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { type Call, listenTransport, UserAgent, WsTransport } from '../src/index.js';

const SDP = 'v=0\r\no=- 1 1 IN IP4 192.0.2.1\r\ns=-\r\nc=IN IP4 192.0.2.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 0\r\n';

interface Msg {
  start: string;
  headers: Map<string, string[]>;
  body: string;
}

function parse(text: string): Msg {
  const [head, body = ''] = text.split('\r\n\r\n');
  const [start, ...lines] = head!.split('\r\n');
  const headers = new Map<string, string[]>();
  for (const l of lines) {
    const i = l.indexOf(':');
    const k = l.slice(0, i).trim().toLowerCase();
    headers.set(k, [...(headers.get(k) ?? []), l.slice(i + 1).trim()]);
  }
  return { start: start!, headers, body };
}

const h = (m: Msg, k: string) => m.headers.get(k)?.[0] ?? '';

/** A SIP-over-WebSocket client on a raw `ws` socket: sends text, collects what arrives on this one socket. */
class WsSipClient {
  readonly inbox: Msg[] = [];
  private waiters: (() => void)[] = [];
  private constructor(readonly ws: WebSocket) {
    ws.on('message', (d) => {
      this.inbox.push(parse(d.toString()));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  static async open(port: number): Promise<WsSipClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, 'sip');
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return new WsSipClient(ws);
  }

  send(lines: string[], body = ''): void {
    this.ws.send([...lines, `Content-Length: ${Buffer.byteLength(body)}`, '', body].join('\r\n'));
  }

  /** The first message (from `from` on) whose start line matches; waits up to 5 s. */
  async next(re: RegExp, from = 0): Promise<Msg> {
    const t0 = Date.now();
    for (;;) {
      const m = this.inbox.slice(from).find((x) => re.test(x.start));
      if (m) return m;
      if (Date.now() - t0 > 5000) throw new Error(`no ${re} on the socket: ${this.inbox.map((x) => x.start)}`);
      await new Promise<void>((r) => {
        this.waiters.push(r);
        setTimeout(r, 200);
      });
    }
  }

  /** Answers a request with `status`, echoing Via, From, To (with our tag), Call-ID, CSeq. */
  reply(req: Msg, status: number, extra: string[] = [], body = ''): void {
    const to = h(req, 'to');
    this.send(
      [
        `SIP/2.0 ${status} ${status === 200 ? 'OK' : 'Whatever'}`,
        ...(req.headers.get('via') ?? []).map((v) => `Via: ${v}`),
        `From: ${h(req, 'from')}`,
        `To: ${/;tag=/.test(to) ? to : `${to};tag=wsc1`}`,
        `Call-ID: ${h(req, 'call-id')}`,
        `CSeq: ${h(req, 'cseq')}`,
        ...extra,
      ],
      body,
    );
  }

  close(): void {
    this.ws.close();
  }
}

describe('in-dialog requests to a WebSocket client go over its connection (RFC 7118 §5)', () => {
  let loop: Loop | undefined;
  let ua: UserAgent | undefined;
  let client: WsSipClient | undefined;

  afterEach(async () => {
    client?.close();
    await ua?.close({ boundMs: 500 });
    loop?.stop();
  });

  async function server(): Promise<{ t: WsTransport; ua: UserAgent }> {
    loop = createLoop();
    const t = await WsTransport.listen({ protocol: 'ws', host: '127.0.0.1', port: 0 });
    ua = new UserAgent({ loop, transports: [t], user: 'mdh', registrar: true });
    ua.stack.onError = () => {};
    return { t, ua };
  }

  it('a call from the client: mdh hangs up with BYE over the same socket, though the Contact is unreachable', async () => {
    const { t, ua } = await server();
    const calls: Call[] = [];
    ua.on('invite', (inv) => void inv.answer(SDP).then((c) => calls.push(c)));
    client = await WsSipClient.open(t.localPort);
    const via = 'SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKws-inv1';
    const dialog = [
      'From: <sip:bob@127.0.0.1>;tag=bob1',
      `To: <sip:mdh@127.0.0.1:${t.localPort}>`,
      'Call-ID: ws-flow-1',
    ];
    // the Contact names a TEST-NET address that nothing listens on: a new connection there would fail
    client.send(
      [
        `INVITE sip:mdh@127.0.0.1:${t.localPort};transport=ws SIP/2.0`,
        `Via: ${via}`,
        'Max-Forwards: 70',
        ...dialog,
        'CSeq: 1 INVITE',
        'Contact: <sip:bob@192.0.2.1:9;transport=ws>',
        'Content-Type: application/sdp',
      ],
      SDP,
    );
    const ok = await client.next(/^SIP\/2\.0 200/);
    const toTag = /;tag=([^;>\s]+)/.exec(h(ok, 'to'))![1]!;
    client.send([
      `ACK ${/<([^>]+)>/.exec(h(ok, 'contact'))![1]} SIP/2.0`,
      'Via: SIP/2.0/WS df7jal23ls0d.invalid;branch=z9hG4bKws-ack1',
      'Max-Forwards: 70',
      dialog[0]!,
      `${dialog[1]};tag=${toTag}`,
      dialog[2]!,
      'CSeq: 1 ACK',
    ]);
    await until(() => calls.length === 1);
    const mark = client.inbox.length;
    const bye = calls[0]!.hangup();
    const req = await client.next(/^BYE /, mark);
    expect(req.start).toBe('BYE sip:bob@192.0.2.1:9;transport=ws SIP/2.0');
    expect(h(req, 'via')).toMatch(/^SIP\/2\.0\/WS /);
    client.reply(req, 200);
    expect(await bye).toBe(200);
    expect(t.stats.connections).toBe(1);
    expect(t.stats.sendErrors).toBe(0);
  });

  it('a contact registered over WS is called over that socket; re-INVITE, ACK and BYE follow it', async () => {
    const { t, ua } = await server();
    client = await WsSipClient.open(t.localPort);
    const contact = 'sip:k3f9q2@x7y2ab.invalid;transport=ws';
    client.send([
      `REGISTER sip:127.0.0.1:${t.localPort} SIP/2.0`,
      'Via: SIP/2.0/WS x7y2ab.invalid;branch=z9hG4bKws-reg1',
      'Max-Forwards: 70',
      'From: <sip:bob@127.0.0.1>;tag=r1',
      'To: <sip:bob@127.0.0.1>',
      'Call-ID: ws-flow-reg',
      'CSeq: 1 REGISTER',
      `Contact: <${contact}>;expires=600`,
    ]);
    expect((await client.next(/^SIP\/2\.0 /)).start).toBe('SIP/2.0 200 OK');
    const bound = ua.registrar!.lookup('sip:bob@127.0.0.1');
    expect(bound.map((b) => b.contact)).toEqual([contact]);

    // the contact's host is `.invalid` (RFC 7118 §5): only the registered flow reaches it
    const out = ua.invite(contact, { sdp: SDP });
    const inv = await client.next(/^INVITE /);
    expect(inv.start).toBe(`INVITE ${contact} SIP/2.0`);
    client.reply(inv, 200, ['Contact: <sip:k3f9q2@x7y2ab.invalid;transport=ws>', 'Content-Type: application/sdp'], SDP);
    const call = await out.result;
    const ack = await client.next(/^ACK /);
    expect(ack.start).toBe(`ACK ${contact} SIP/2.0`);

    let mark = client.inbox.length;
    const answer = call.reinvite(SDP);
    const re = await client.next(/^INVITE /, mark);
    expect(h(re, 'cseq')).toBe('2 INVITE');
    client.reply(re, 200, [`Contact: <${contact}>`, 'Content-Type: application/sdp'], SDP);
    expect(await answer).toBe(SDP);
    await client.next(/^ACK /, mark);

    mark = client.inbox.length;
    const bye = call.hangup();
    const req = await client.next(/^BYE /, mark);
    expect(req.start).toBe(`BYE ${contact} SIP/2.0`);
    client.reply(req, 200);
    expect(await bye).toBe(200);
    expect(t.stats.connections).toBe(1);
    expect(t.stats.sendErrors).toBe(0);
  });

  it("a UA with WS first and UDP beside it sends a UDP dialog's BYE over UDP (not its first transport)", async () => {
    const { t } = await server();
    const udp = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const both = new UserAgent({ loop: loop!, transports: [t, udp], user: 'both' });
    both.stack.onError = () => {};
    const peerUdp = await listenTransport('udp', { host: '127.0.0.1', port: 0 });
    const peer = new UserAgent({ loop: loop!, transports: [peerUdp], user: 'peer' });
    try {
      const answered: Call[] = [];
      both.on('invite', (inv) => void inv.answer(SDP).then((c) => answered.push(c)));
      const call = await peer.invite(`sip:both@127.0.0.1:${udp.localPort}`, { sdp: SDP }).result;
      await until(() => answered.length === 1);
      const ended = new Promise<string>((r) => call.on('ended', (why) => r(String(why))));
      expect(await answered[0]!.hangup()).toBe(200);
      expect(await ended).toBe('remote-bye');
      expect(t.stats.sent).toBe(0);
    } finally {
      await peer.close({ boundMs: 500 });
      await both.close({ boundMs: 500 });
    }
  });

  it('once the flow is gone the contact cannot be reached (no connection to an .invalid host is tried)', async () => {
    const { t, ua } = await server();
    client = await WsSipClient.open(t.localPort);
    const contact = 'sip:gone@zz9.invalid;transport=ws';
    client.send([
      `REGISTER sip:127.0.0.1:${t.localPort} SIP/2.0`,
      'Via: SIP/2.0/WS zz9.invalid;branch=z9hG4bKws-reg2',
      'Max-Forwards: 70',
      'From: <sip:carol@127.0.0.1>;tag=r2',
      'To: <sip:carol@127.0.0.1>',
      'Call-ID: ws-flow-reg2',
      'CSeq: 1 REGISTER',
      `Contact: <${contact}>;expires=600`,
    ]);
    await client.next(/^SIP\/2\.0 200/);
    client.close();
    await until(() => t.stats.connections === 0);
    await expect(ua.invite(contact, { sdp: SDP }).result).rejects.toMatchObject({ status: 503 });
  });
});

async function until(ok: () => boolean): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > 5000) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
