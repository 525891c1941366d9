import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { exportKeyingMaterial, keyBlock, masterSecret, type PrfHash, prf } from '../src/index.js';

const V = JSON.parse(readFileSync(new URL('../../../tests/vectors/tls-prf.json', import.meta.url), 'utf8'));
const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('TLS 1.2 PRF (RFC 5246 §5) known answers', () => {
  for (const v of V.prf_vectors) {
    it(v.id, () => {
      const hash = (v.hash === 'SHA-384' ? 'sha384' : 'sha256') as PrfHash;
      expect(toHex(prf(hash, hex(v.secret), v.label, hex(v.seed), v.output_length))).toBe(v.output);
    });
  }

  it('master secret and key block (RFC 5246 §8.1, §6.3)', () => {
    const c = V.handshake_chain;
    const ms = masterSecret('sha256', hex(c.pre_master_secret), hex(c.client_random), hex(c.server_random));
    expect(toHex(ms)).toBe(c.master_secret.value);
    const kb = keyBlock('sha256', ms, hex(c.client_random), hex(c.server_random), 16);
    expect(toHex(kb.clientWriteKey)).toBe(c.key_block.client_write_key);
    expect(toHex(kb.serverWriteKey)).toBe(c.key_block.server_write_key);
    expect(toHex(kb.clientWriteIv)).toBe(c.key_block.client_write_iv);
    expect(toHex(kb.serverWriteIv)).toBe(c.key_block.server_write_iv);
  });

  it('RFC 5705 exporter EXTRACTOR-dtls_srtp', () => {
    const e = V.exporter_vectors;
    for (const c of e.cases) {
      const out = exportKeyingMaterial(
        'sha256',
        hex(e.master_secret),
        e.label,
        hex(c.client_random),
        hex(c.server_random),
        c.length,
      );
      expect(toHex(out)).toBe(c.output);
    }
  });

  it('exporter with a context mixes in u16 length || context (RFC 5705 §4)', () => {
    const ms = hex('00'.repeat(48));
    const cr = hex('11'.repeat(32));
    const sr = hex('22'.repeat(32));
    const withCtx = exportKeyingMaterial('sha256', ms, 'EXPERIMENTAL', cr, sr, 16, Uint8Array.of(1, 2));
    const manual = prf('sha256', ms, 'EXPERIMENTAL', Uint8Array.from([...cr, ...sr, 0, 2, 1, 2]), 16);
    expect(toHex(withCtx)).toBe(toHex(manual));
    const empty = exportKeyingMaterial('sha256', ms, 'EXPERIMENTAL', cr, sr, 16, new Uint8Array(0));
    const none = exportKeyingMaterial('sha256', ms, 'EXPERIMENTAL', cr, sr, 16);
    expect(toHex(empty)).not.toBe(toHex(none));
  });
});
