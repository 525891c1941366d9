// UDP echo over loopback: @mdh/loop's UdpSocket vs bare node:dgram, measured in the same run.
// Each round sends PACKETS datagrams of SIZE bytes with WINDOW in flight through an echo server
// and counts round trips per second. Rounds alternate between implementations; the median is kept.
// Run: pnpm --filter @mdh/loop run build && node bench/udp.mjs   (or `pnpm bench udp`)
import dgram from 'node:dgram';
import { createUdpSocket } from '@mdh/loop';

const PACKETS = Number(process.env.UDP_BENCH_PACKETS ?? 100_000);
const ROUNDS = Number(process.env.UDP_BENCH_ROUNDS ?? 5);
const WINDOW = 32;
const SIZE = 172; // an RTP packet with 160 bytes of G.711
const ROUND_TIMEOUT_MS = 60_000;

const payload = new Uint8Array(SIZE).fill(0x55);

function runEcho(send, setReceive, done) {
  return new Promise((resolve, reject) => {
    let sent = 0;
    let received = 0;
    const t0 = process.hrtime.bigint();
    const timer = setTimeout(() => reject(new Error('round timed out (packets lost?)')), ROUND_TIMEOUT_MS);
    setReceive(() => {
      received++;
      if (received === PACKETS) {
        clearTimeout(timer);
        const s = Number(process.hrtime.bigint() - t0) / 1e9;
        done().then(() => resolve(PACKETS / s));
        return;
      }
      if (sent < PACKETS) {
        sent++;
        send();
      }
    });
    for (let i = 0; i < WINDOW && sent < PACKETS; i++) {
      sent++;
      send();
    }
  });
}

async function roundDgram() {
  const server = dgram.createSocket('udp4');
  const client = dgram.createSocket('udp4');
  await new Promise((r) => server.bind(0, '127.0.0.1', r));
  await new Promise((r) => client.bind(0, '127.0.0.1', r));
  server.on('message', (m, rinfo) => server.send(m, rinfo.port, rinfo.address));
  const port = server.address().port;
  return runEcho(
    () => client.send(payload, port, '127.0.0.1'),
    (cb) => client.on('message', cb),
    async () => {
      await new Promise((r) => client.close(r));
      await new Promise((r) => server.close(r));
    },
  );
}

async function roundMdh() {
  const server = await createUdpSocket({ address: '127.0.0.1' });
  const client = await createUdpSocket({ address: '127.0.0.1' });
  server.onMessage((m) => server.send(m.data, m.port, m.address));
  const port = server.port;
  return runEcho(
    () => client.send(payload, port, '127.0.0.1'),
    (cb) => client.onMessage(cb),
    async () => {
      await client.close();
      await server.close();
    },
  );
}

async function roundMdhPull() {
  const server = await createUdpSocket({ address: '127.0.0.1' });
  const client = await createUdpSocket({ address: '127.0.0.1', queueLimit: 4096 });
  server.onMessage((m) => server.send(m.data, m.port, m.address));
  const port = server.port;
  const t0 = process.hrtime.bigint();
  let sent = 0;
  for (; sent < WINDOW; sent++) client.send(payload, port, '127.0.0.1');
  for (let got = 0; got < PACKETS; got++) {
    await client.recv(5000);
    if (sent < PACKETS) {
      sent++;
      client.send(payload, port, '127.0.0.1');
    }
  }
  const rate = PACKETS / (Number(process.hrtime.bigint() - t0) / 1e9);
  await client.close();
  await server.close();
  return rate;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const res = { dgram: [], mdh: [], pull: [] };
await roundDgram(); // warm-up
await roundMdh();
for (let i = 0; i < ROUNDS; i++) {
  res.dgram.push(await roundDgram());
  res.mdh.push(await roundMdh());
  res.pull.push(await roundMdhPull());
}
const d = median(res.dgram);
const m = median(res.mdh);
const p = median(res.pull);
const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(10);
console.log(
  `UDP echo over 127.0.0.1: ${PACKETS} x ${SIZE}-byte datagrams, window ${WINDOW}, median of ${ROUNDS} rounds`,
);
console.log('| implementation                     | round trips/s | vs node:dgram |');
console.log('|------------------------------------|---------------|---------------|');
console.log(`| node:dgram (peer)                  | ${fmt(d)}    |         1.000 |`);
console.log(`| @mdh/loop UdpSocket (onMessage)    | ${fmt(m)}    | ${(m / d).toFixed(3).padStart(13)} |`);
console.log(`| @mdh/loop UdpSocket (await recv()) | ${fmt(p)}    | ${(p / d).toFixed(3).padStart(13)} |`);
console.log(`overhead (callback mode): ${((1 - m / d) * 100).toFixed(1)}%  (target <= 10%)`);
