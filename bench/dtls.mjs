// `pnpm bench dtls [seconds] [warmupSeconds]`: full DTLS 1.2 handshakes per second, in process, ECDSA P-256
// certificates, mutual authentication, TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, use_srtp, on X25519 and on P-256:
// @mdh/dtls vs werift-dtls (same run) and OpenSSL through bench/native/dtls_bench.c when it compiles.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DtlsEngine, fingerprint, generateCertificate } from '@mdh/dtls';

const here = dirname(fileURLToPath(import.meta.url));
const seconds = Number(process.argv[2] ?? 6);
const warmup = Number(process.argv[3] ?? 2);
const require = createRequire(import.meta.url);
const werift = require('werift-dtls/lib/dtls/src/index.js');

// ---- @mdh/dtls -------------------------------------------------------------------------------------------------
const serverCert = generateCertificate();
const clientCert = generateCertificate();
const serverFp = fingerprint(serverCert.chain[0]);
const clientFp = fingerprint(clientCert.chain[0]);

function mdhHandshake(group) {
  // the WebRTC model: each side pins the other's certificate fingerprint (from SDP)
  const client = new DtlsEngine({
    role: 'client',
    certificate: clientCert,
    groups: [group, 'secp256r1'],
    srtpProfiles: [1],
    expectedFingerprints: [serverFp],
  });
  const server = new DtlsEngine({
    role: 'server',
    certificate: serverCert,
    groups: [group],
    srtpProfiles: [1],
    expectedFingerprints: [clientFp],
  });
  client.start(0);
  let toServer = [];
  let toClient = [];
  const drain = (e, out) => {
    for (let i = 0; i < 1000; i++) {
      const o = e.pollOutput();
      if (o.kind === 'deadline') return;
      if (o.kind === 'datagram') out.push(o.data);
      else if (o.event.type === 'error') throw o.event.error;
    }
  };
  drain(client, toServer);
  for (let round = 0; round < 20 && !(client.connected && server.connected); round++) {
    for (const d of toServer) server.handleInput(d, 0);
    toServer = [];
    drain(server, toClient);
    for (const d of toClient) client.handleInput(d, 0);
    toClient = [];
    drain(client, toServer);
  }
  for (const d of toServer) server.handleInput(d, 0);
  drain(server, toClient);
  if (!client.connected || !server.connected) throw new Error('mdh handshake did not complete');
  if (client.info.group !== group) throw new Error(`negotiated ${client.info.group}, wanted ${group}`);
}

async function measure(fn, secs, warm) {
  let end = performance.now() + warm * 1000;
  while (performance.now() < end) await fn();
  let n = 0;
  const t0 = performance.now();
  end = t0 + secs * 1000;
  while (performance.now() < end && n < 1_000_000) {
    await fn();
    n++;
  }
  return (n * 1000) / (performance.now() - t0);
}

/**
 * werift's handshake sleeps on timers between flights (STYLE.md counter-example), so one handshake at a time
 * measures its timers, not its CPU: run `conc` handshakes concurrently and count completions.
 */
async function measureConcurrent(fn, secs, warm, conc) {
  let count = 0;
  let counting = false;
  let stopAt = performance.now() + (warm + secs) * 1000;
  const worker = async () => {
    while (performance.now() < stopAt) {
      await fn();
      if (counting) count++;
    }
  };
  const workers = Array.from({ length: conc }, worker);
  await new Promise((r) => setTimeout(r, warm * 1000));
  counting = true;
  const t0 = performance.now();
  stopAt = t0 + secs * 1000;
  await Promise.all(workers);
  return (count * 1000) / (performance.now() - t0);
}

// ---- werift-dtls -----------------------------------------------------------------------------------------------
function pipePair() {
  const mk = () => ({
    type: 'mem',
    address: {},
    closed: false,
    onData: () => {},
    send: undefined,
    close: async () => {},
  });
  const a = mk();
  const b = mk();
  a.send = async (buf) => {
    setImmediate(() => b.onData(buf));
  };
  b.send = async (buf) => {
    setImmediate(() => a.onData(buf));
  };
  return [a, b];
}

// werift's flight timers keep running after close() and sometimes throw from a timer; count those and go on.
let weriftStrayErrors = 0;
const stray = (e) => {
  if (String(e?.stack ?? e).includes('werift')) weriftStrayErrors++;
  else throw e;
};
process.on('uncaughtException', stray);
process.on('unhandledRejection', stray);

const ecdsaSha256 = { hash: 4, signature: 3 };
let weriftCerts;
async function weriftHandshake() {
  const [ta, tb] = pipePair();
  const server = new werift.DtlsServer({
    transport: ta,
    cert: weriftCerts.server.certPem,
    key: weriftCerts.server.keyPem,
    signatureHash: ecdsaSha256,
    certificateRequest: true,
    srtpProfiles: [1],
  });
  const client = new werift.DtlsClient({
    transport: tb,
    cert: weriftCerts.client.certPem,
    key: weriftCerts.client.keyPem,
    signatureHash: ecdsaSha256,
    srtpProfiles: [1],
  });
  const serverUp = new Promise((res) => server.onConnect.subscribe(res));
  await Promise.all([client.connect(), serverUp]);
  client.close();
  server.close();
}

function setWeriftGroup(id) {
  const list = werift.NamedCurveAlgorithmList;
  list.splice(0, list.length, id, ...(id === 29 ? [23] : []));
}

// ---- OpenSSL harness -------------------------------------------------------------------------------------------
const exe = join(tmpdir(), `mdh-dtls-bench-${process.pid}`);
const built = spawnSync('cc', ['-O2', '-o', exe, join(here, 'native', 'dtls_bench.c'), '-lssl', '-lcrypto'], {
  encoding: 'utf8',
});
if (built.status !== 0) console.error(`OpenSSL harness did not build (libssl-dev missing?):\n${built.stderr}`);
function opensslRate(group, secs, warm) {
  if (built.status !== 0) return undefined;
  const r = spawnSync(exe, [group, String(secs), String(warm)], {
    encoding: 'utf8',
    timeout: Math.ceil((secs + warm + 30) * 1000),
  });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout.trim()).perSecond;
}

// ---- run -------------------------------------------------------------------------------------------------------
weriftCerts = {
  server: await werift.CipherContext.createSelfSignedCertificateWithKey(ecdsaSha256, 23),
  client: await werift.CipherContext.createSelfSignedCertificateWithKey(ecdsaSha256, 23),
};

// The machine is shared: interleave the three stacks in rounds and keep each one's best round.
const rounds = 3;
const per = seconds / rounds;
const rows = [];
for (const [name, ours, wId, ossl] of [
  ['X25519', 'x25519', 29, 'X25519'],
  ['P-256', 'secp256r1', 23, 'P-256'],
]) {
  const row = { name, mdh: 0, wer: 0, openssl: undefined };
  setWeriftGroup(wId);
  for (let i = 0; i < rounds; i++) {
    const w = i === 0 ? warmup : 0.3;
    row.mdh = Math.max(row.mdh, await measure(() => mdhHandshake(ours), per, w));
    row.wer = Math.max(row.wer, await measureConcurrent(weriftHandshake, per, w, 64));
    const o = opensslRate(ossl, per, w);
    if (o !== undefined) row.openssl = Math.max(row.openssl ?? 0, o);
  }
  rows.push(row);
}

const f = (x) => (x === undefined ? 'n/a' : x.toFixed(1));
console.log('DTLS 1.2 full handshakes/s (in-process, ECDSA P-256 certs, mutual auth, AES-128-GCM, use_srtp)');
console.log('group   | @mdh/dtls | werift-dtls | OpenSSL  | mdh/werift | mdh/OpenSSL');
console.log('--------|-----------|-------------|----------|------------|------------');
for (const r of rows) {
  console.log(
    `${r.name.padEnd(8)}| ${f(r.mdh).padStart(9)} | ${f(r.wer).padStart(11)} | ${f(r.openssl).padStart(8)} | ${(r.mdh / r.wer).toFixed(2).padStart(9)}× | ${
      r.openssl ? `${(r.mdh / r.openssl).toFixed(2)}×` : 'n/a'
    }`,
  );
}
if (weriftStrayErrors > 0)
  console.log(`(werift threw ${weriftStrayErrors} stray errors from timers after close; ignored)`);
spawnSync('rm', ['-f', exe]);
process.exit(0);
