import { SrtpConfigError } from '../errors.js';
import type { SrtpBackend } from './backend.js';
import { jsBackend } from './js-backend.js';
import { nobleBackend } from './noble-backend.js';
import { nodeBackend, nodeBackendAvailable } from './node-backend.js';
import { wasmBackend, wasmBackendAvailable } from './wasm-backend.js';

/**
 * Names accepted for the `backend` option: 'js' (own TypeScript core), 'wasm' (own WebAssembly SIMD core for AES
 * and GHASH), 'noble' (@noble primitives), 'node', 'auto'.
 */
export type SrtpBackendName = 'node' | 'js' | 'wasm' | 'noble' | 'auto';

/**
 * 'auto' — the default — is chosen by measurement (bench/srtp.mjs, Node 20, x86-64 with AES-NI): the WebAssembly
 * backend where WebAssembly SIMD is available, else the portable TypeScript one. Both beat node:crypto at RTP
 * packet sizes, because node:crypto pays a native call and a Buffer per packet (and a cipher object per packet
 * for GCM, whose IV changes), which costs more than the AES, SHA-1 or GHASH work itself on 100-1500 octet
 * packets; the wasm core does AES and GHASH about 1.4× / 2× faster than the TypeScript one (docs/performance.md).
 */
const autoBackend: SrtpBackend = wasmBackendAvailable ? wasmBackend : jsBackend;

let current: SrtpBackend = autoBackend;

/** Resolves a backend name or object; throws SrtpConfigError for unknown names or an unavailable node:crypto. */
export function resolveBackend(b: SrtpBackendName | SrtpBackend): SrtpBackend {
  if (typeof b === 'object' && b !== null) {
    if (typeof b.ctr !== 'function' || typeof b.hmacSha1 !== 'function' || typeof b.gcm !== 'function') {
      throw new SrtpConfigError('a backend object needs ctr, hmacSha1 and gcm factories');
    }
    return b;
  }
  switch (b) {
    case 'node':
      if (!nodeBackendAvailable) throw new SrtpConfigError('the node:crypto backend is not available here');
      return nodeBackend;
    case 'js':
      return jsBackend;
    case 'wasm':
      if (!wasmBackendAvailable) throw new SrtpConfigError('WebAssembly SIMD is not available here');
      return wasmBackend;
    case 'noble':
      return nobleBackend;
    case 'auto':
      return autoBackend;
    default:
      throw new SrtpConfigError(`unknown SRTP backend '${String(b)}'; use 'js', 'wasm', 'noble', 'node' or 'auto'`);
  }
}

/** The backend sessions use when the option is absent. */
export function defaultBackend(): SrtpBackend {
  return current;
}

/** Changes the process-wide default backend for sessions created afterwards. */
export function setDefaultSrtpBackend(b: SrtpBackendName | SrtpBackend): void {
  current = resolveBackend(b);
}
