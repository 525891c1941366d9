// `pnpm bench stun`: an ICE connectivity check answered end to end — STUN Binding request parse, FINGERPRINT and
// MESSAGE-INTEGRITY (HMAC-SHA1, short-term) verification, then a success response with XOR-MAPPED-ADDRESS,
// MESSAGE-INTEGRITY and FINGERPRINT built — per CPU-second: @mdh/media (the codec alone, and the whole IceLiteAgent
// path) vs werift-ice's STUN message code (parseMessage with the integrity key, Message + addMessageIntegrity +
// addFingerprint + bytes), interleaved in rounds in the same run. Each figure is the best round, in checks per
// second of process CPU time (the machine is shared; CPU time is the fairer clock).
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import {
  IceLiteAgent,
  StunAttr,
  StunKey,
  serializeStun,
  textValue,
  tryParseStun,
  u32Value,
  u64Value,
  verifyFingerprint,
  verifyIntegrity,
  xorAddressValue,
} from '@mdh/media';
import { hmac } from '@noble/hashes/hmac.js';
import { sha1 } from '@noble/hashes/legacy.js';

const require = createRequire(import.meta.url);
const werift = require('werift-ice');

const ROUNDS = Number(process.env.STUN_BENCH_ROUNDS ?? 5);
const N = 20000;
const LOCAL_UFRAG = 'mdhL';
const REMOTE_UFRAG = 'b7Qz';
const PWD = 'VOkJxbRl1RmTxUk/WvJxBt00';
const FROM = { address: '192.0.2.7', port: 50123 };
const LOCAL = { address: '192.0.2.1', port: 40000 };

// A Chromium-shaped check: USERNAME, ICE-CONTROLLING, PRIORITY, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT.
function request(i) {
  const tid = new Uint8Array(12);
  tid[0] = i & 0xff;
  tid[1] = (i >> 8) & 0xff;
  tid[11] = 1;
  return serializeStun({
    class: 'request',
    transactionId: tid,
    attributes: [
      { type: StunAttr.USERNAME, value: textValue(`${LOCAL_UFRAG}:${REMOTE_UFRAG}`) },
      { type: StunAttr.ICE_CONTROLLING, value: u64Value(0x1234567890abcdefn) },
      { type: StunAttr.PRIORITY, value: u32Value(1853824767) },
      { type: StunAttr.USE_CANDIDATE, value: new Uint8Array(0) },
    ],
    integrity: StunKey.shortTerm(PWD),
    fingerprint: true,
  });
}
const CORPUS = Array.from({ length: 256 }, (_, i) => request(i));

function cpuRate(n, fn) {
  const t = process.cpuUsage();
  fn();
  const u = process.cpuUsage(t);
  return n / ((u.user + u.system) / 1e6);
}

// ---------------------------------------------------------------- contenders
const key = StunKey.shortTerm(PWD);
const expectedUser = textValue(`${LOCAL_UFRAG}:${REMOTE_UFRAG}`);
function mdhCodec() {
  return cpuRate(N, () => {
    let sink = 0;
    for (let i = 0; i < N; i++) {
      const m = tryParseStun(CORPUS[i & 255]);
      if (!('raw' in m) || !verifyFingerprint(m) || !verifyIntegrity(m, key)) throw new Error('check rejected');
      const u = m.attributes.find((a) => a.type === StunAttr.USERNAME);
      if (!u || u.value.length !== expectedUser.length) throw new Error('bad username');
      const res = serializeStun({
        class: 'success',
        transactionId: m.transactionId,
        attributes: [{ type: StunAttr.XOR_MAPPED_ADDRESS, value: xorAddressValue(FROM, m.transactionId) }],
        integrity: key,
        fingerprint: true,
      });
      sink += res.length;
    }
    if (sink === 0) throw new Error('no output');
  });
}

const agent = new IceLiteAgent({ localAddresses: [LOCAL], ufrag: LOCAL_UFRAG, pwd: PWD, remoteUfrag: REMOTE_UFRAG });
agent.start(0);
function mdhAgent() {
  return cpuRate(N, () => {
    let sink = 0;
    for (let i = 0; i < N; i++) {
      agent.handleInput(CORPUS[i & 255], FROM, i);
      for (let o = agent.pollOutput(); o.kind !== 'deadline'; o = agent.pollOutput())
        if (o.kind === 'datagram') sink += o.data.length;
    }
    if (sink === 0) throw new Error('no output');
  });
}

const wKey = Buffer.from(PWD, 'utf8');
const W_CORPUS = CORPUS.map((b) => Buffer.from(b));
function weriftIce() {
  return cpuRate(N, () => {
    let sink = 0;
    for (let i = 0; i < N; i++) {
      const m = werift.parseMessage(W_CORPUS[i & 255], wKey); // verifies FINGERPRINT and MESSAGE-INTEGRITY
      if (!m) throw new Error('werift rejected the check');
      if (m.getAttributeValue('USERNAME') !== `${LOCAL_UFRAG}:${REMOTE_UFRAG}`) throw new Error('bad username');
      const res = new werift.Message(werift.methods.BINDING, werift.classes.RESPONSE, m.transactionId)
        .setAttribute('XOR-MAPPED-ADDRESS', [FROM.address, FROM.port])
        .addMessageIntegrity(wKey)
        .addFingerprint();
      sink += res.bytes.length;
    }
    if (sink === 0) throw new Error('no output');
  });
}

// Cross-check before timing: each side accepts the other's bytes.
{
  const ours = tryParseStun(CORPUS[0]);
  const wRes = new werift.Message(werift.methods.BINDING, werift.classes.RESPONSE, Buffer.from(ours.transactionId))
    .setAttribute('XOR-MAPPED-ADDRESS', [FROM.address, FROM.port])
    .addMessageIntegrity(wKey)
    .addFingerprint().bytes;
  const back = tryParseStun(new Uint8Array(wRes));
  if (!('raw' in back) || !verifyIntegrity(back, key) || !verifyFingerprint(back))
    throw new Error('werift response does not verify with @mdh/media');
  if (!werift.parseMessage(W_CORPUS[0], wKey)) throw new Error('werift does not accept @mdh/media requests');
}

const best = { codec: 0, agent: 0, werift: 0 };
for (let r = 0; r < ROUNDS; r++) {
  best.werift = Math.max(best.werift, weriftIce());
  best.codec = Math.max(best.codec, mdhCodec());
  best.agent = Math.max(best.agent, mdhAgent());
}
// The HMAC-SHA1 backend choice (StunKey, packages/media/src/ice/stun-key.ts): MESSAGE-INTEGRITY over 20–100 octets.
const MSGS = [20, 60, 100].map((n) => new Uint8Array(n).fill(n));
const macs = {
  'node:crypto createHmac': () => {
    for (let i = 0; i < N; i++)
      createHmac('sha1', wKey)
        .update(MSGS[i % 3])
        .digest();
  },
  '@noble/hashes hmac': () => {
    for (let i = 0; i < N; i++) hmac(sha1, wKey, MSGS[i % 3]);
  },
  '@mdh/srtp jsBackend HMAC-SHA1 (StunKey)': () => {
    const out = new Uint8Array(20);
    for (let i = 0; i < N; i++) key.mac.sign(MSGS[i % 3], 0, MSGS[i % 3].length, -1, out, 0, 20);
  },
};
const macBest = {};
for (let r = 0; r < 3; r++)
  for (const [name, f] of Object.entries(macs)) macBest[name] = Math.max(macBest[name] ?? 0, cpuRate(N, f));

const fmt = (x) => `${Math.round(x).toLocaleString('en-US')}/s`;
console.log('STUN Binding check: parse + FINGERPRINT + MESSAGE-INTEGRITY verify + success response build (per CPU-s)');
console.log(
  `  @mdh/media codec       ${fmt(best.codec).padStart(12)}   ${(best.codec / best.werift).toFixed(2)}x werift-ice`,
);
console.log(
  `  @mdh/media IceLiteAgent${fmt(best.agent).padStart(12)}   ${(best.agent / best.werift).toFixed(2)}x werift-ice`,
);
console.log(`  werift-ice             ${fmt(best.werift).padStart(12)}   1.00x`);
console.log('HMAC-SHA1 over 20/60/100-octet inputs (per CPU-s)');
for (const [name, v] of Object.entries(macBest)) console.log(`  ${name.padEnd(40)} ${fmt(v).padStart(12)}`);
