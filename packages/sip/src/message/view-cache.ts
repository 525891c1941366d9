import type { Uri } from '../uri/uri.js';
import type { Contact, NameAddr } from './name-addr.js';
import type { Via } from './via.js';
import type { CSeq } from './views.js';

/** Cached typed views (reset on any header change). @internal */
export interface ViewCache {
  vias: Via[] | undefined;
  from: NameAddr | null | undefined;
  to: NameAddr | null | undefined;
  callId: string | null | undefined;
  cseq: CSeq | null | undefined;
  contacts: Contact[] | undefined;
  ruri: Uri | undefined;
  ruriText: string | undefined;
  mf: number | null | undefined;
  routes: NameAddr[] | undefined;
  rr: NameAddr[] | undefined;
  /** Content-Length as the parser read it (null: absent) */
  cl: number | null | undefined;
  other: Record<string, unknown> | undefined;
}

/** A cache with nothing read yet (one shape for every message). @internal */
export function emptyViewCache(): ViewCache {
  return {
    vias: undefined,
    from: undefined,
    to: undefined,
    callId: undefined,
    cseq: undefined,
    contacts: undefined,
    ruri: undefined,
    ruriText: undefined,
    mf: undefined,
    routes: undefined,
    rr: undefined,
    cl: undefined,
    other: undefined,
  };
}
