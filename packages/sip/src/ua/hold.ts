import { intersectDirections, invertDirection, type MediaDirection } from '../sdp/offer-answer.js';

/**
 * Hold and resume by SDP direction (RFC 3264 §8.4, RFC 6337 §5): rewriting the direction attribute of every
 * media section, bumping the `o=` version (§8), and the default answer to an offer in a re-INVITE or UPDATE.
 */

const DIRECTIONS = new Set<string>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);

/** The direction of the first media section (its own attribute, else the session's, else sendrecv, §5.1). */
export function sdpDirection(sdp: string): MediaDirection {
  let session: MediaDirection | undefined;
  let inMedia = false;
  for (const raw of sdp.split(/\r?\n/)) {
    const line = raw.trim();
    if (line.startsWith('m=')) {
      if (inMedia) break;
      inMedia = true;
      continue;
    }
    const m = /^a=(sendrecv|sendonly|recvonly|inactive)$/.exec(line);
    if (!m) continue;
    if (inMedia) return m[1] as MediaDirection;
    session = m[1] as MediaDirection;
  }
  return session ?? 'sendrecv';
}

/**
 * `sdp` with every media section's direction set to `dir` (session-level direction attributes removed) and
 * the `o=` version incremented (RFC 3264 §8: a changed description has a higher version).
 */
export function withDirection(sdp: string, dir: MediaDirection): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  const lines = sdp.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  const out: string[] = [];
  let inMedia = false;
  const flush = () => {
    if (inMedia) out.push(`a=${dir}`);
  };
  for (const line of lines) {
    if (line.startsWith('m=')) {
      flush();
      inMedia = true;
      out.push(line);
      continue;
    }
    if (line.startsWith('a=') && DIRECTIONS.has(line.slice(2).trim())) continue;
    out.push(line);
  }
  flush();
  return bumpVersion(out.join(eol) + eol);
}

/** Increments the `o=` line's sess-version (RFC 4566 §5.2, RFC 3264 §8). */
export function bumpVersion(sdp: string): string {
  return sdp.replace(/^(o=\S+ \S+ )(\d+)/m, (_all, head: string, v: string) => `${head}${(BigInt(v) + 1n).toString()}`);
}

/**
 * Our answer to a new offer in an established call (RFC 3264 §6.1, §8.4) when the application gives none:
 * our last description with the direction `ours ∩ invert(offered)` — the answer to `a=sendonly` has
 * `a=recvonly`, to `a=inactive` `a=inactive`, to `a=sendrecv` ours. `ours` is sendonly while we hold.
 */
export function defaultAnswer(offer: string, localSdp: string, ours: MediaDirection): string {
  const dir = intersectDirections(ours, invertDirection(sdpDirection(offer)));
  return dir === sdpDirection(localSdp) ? localSdp : withDirection(localSdp, dir);
}

/** The direction of our hold offer (§8.4): sendrecv → sendonly, recvonly (we are held too) → inactive. */
export function holdDirection(current: MediaDirection): MediaDirection {
  return current === 'recvonly' || current === 'inactive' ? 'inactive' : 'sendonly';
}
