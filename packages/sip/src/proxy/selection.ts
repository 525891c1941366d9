import { createResponse } from '../message/build.js';
import type { SipRequest, SipResponse } from '../message/message.js';

/** Class of a final response for the §16.7 step 6 choice: 6xx first, then the lowest class. */
function rank(status: number): number {
  return status >= 600 ? 0 : status;
}

/**
 * RFC 3261 §16.7 steps 6–7: the one final response a proxy sends upstream once every branch has ended: a 6xx
 * before anything else, else the lowest status; none at all → 408 (or 487 after a CANCEL); a 503 becomes 500
 * (a 503 would make the upstream element fail over from us, §16.7 step 6); a 401/407 carries every challenge of
 * every 401/407 received (step 7).
 */
export function chooseFinalResponse(req: SipRequest, finals: readonly SipResponse[], cancelled: boolean): SipResponse {
  let best: SipResponse | undefined;
  for (const r of finals) if (!best || rank(r.status) < rank(best.status)) best = r;
  let out: SipResponse;
  if (!best) out = createResponse(req, cancelled ? 487 : 408);
  else if (best.status === 503) out = createResponse(req, 500, { reason: 'Server Internal Error (next hop 503)' });
  else out = best;
  if (out.status === 401 || out.status === 407) {
    for (const r of finals) {
      if (r === out) continue;
      for (const c of r.getAll('www-authenticate')) out.add('WWW-Authenticate', c);
      for (const c of r.getAll('proxy-authenticate')) out.add('Proxy-Authenticate', c);
    }
  }
  return out;
}
