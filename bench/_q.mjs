import { SrtpSession, jsBackend, nodeBackend } from '@mdh/srtp';
const key = new Uint8Array(16).fill(7), salt = new Uint8Array(14).fill(9), salt12 = new Uint8Array(12).fill(9);
function pkt(seq){ const p = new Uint8Array(172); p[0]=0x80; p[1]=0; p[2]=seq>>8; p[3]=seq&255; p[8]=1; p.fill(0xab,12); return p;}
function bench(name, fn, n=60000){ for(let i=0;i<5000;i++) fn(i); const t=process.hrtime.bigint(); for(let i=0;i<n;i++) fn(i); const dt=Number(process.hrtime.bigint()-t)/1e9; console.log(name.padEnd(40), Math.round(n/dt).toLocaleString()); }
const prof = process.argv[2] ?? 'SRTP_AES128_CM_HMAC_SHA1_80';
const s = prof.includes('GCM') ? salt12 : salt;
for (const backend of ['js','node']) {
  const tx = new SrtpSession({ profile: prof, key, salt: s, backend });
  const p = pkt(1);
  bench(`${backend} protect`, (i) => { p[2]=(i>>8)&255; p[3]=i&255; tx.protect(p); });
  const tx2 = new SrtpSession({ profile: prof, key, salt: s, backend });
  const N=65000; const pk=[]; for(let i=0;i<N;i++) pk.push(tx2.protect(pkt(i)));
  const rx = new SrtpSession({ profile: prof, key, salt: s, backend, replayProtection:false });
  bench(`${backend} unprotect`, (i) => { rx.unprotect(pk[i % N]); });
}
