import { SrtpConfigError } from '../errors.js';
import type { SrtpBackend } from './backend.js';
import { jsBackend } from './js-backend.js';
import { nodeBackend, nodeBackendAvailable } from './node-backend.js';

/** Names accepted for the `backend` option. 'noble' is an alias of 'js' (the portable backend). */
export type SrtpBackendName = 'node' | 'js' | 'noble' | 'auto';

/**
 * 'auto': per primitive, whichever measured faster on Node 20 (bench/srtp.mjs): see README "Backends".
 * Falls back to the portable backend where node:crypto is unavailable.
 */
const autoBackend: SrtpBackend = nodeBackendAvailable
  ? Object.freeze({
      name: 'auto',
      ctr: jsBackend.ctr,
      hmacSha1: jsBackend.hmacSha1,
      gcm: jsBackend.gcm,
    })
  : jsBackend;

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
    case 'noble':
      return jsBackend;
    case 'auto':
      return autoBackend;
    default:
      throw new SrtpConfigError(`unknown SRTP backend '${String(b)}'; use 'node', 'js' or 'auto'`);
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
