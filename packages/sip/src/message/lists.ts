import { LIST_HEADERS } from './header-names.js';
import type { SipMessageBase } from './message.js';
import { splitList } from './scan.js';

/**
 * Splits the list headers the parser left whole (Allow, Supported, Accept...: only split when first asked for,
 * RFC 3261 §7.3.1); empty elements are dropped. The value offsets no longer apply afterwards. @internal
 */
export function expandLists(m: SipMessageBase): void {
  m._lazy = false;
  m._o = undefined;
  const n: string[] = [];
  const k: string[] = [];
  const v: string[] = [];
  for (let i = 0; i < m._k.length; i++) {
    const key = m._k[i]!;
    const val = m._v[i]!;
    if (LIST_HEADERS.has(key) && val.indexOf(',') >= 0) {
      const parts = splitList(val);
      let any = false;
      for (const part of parts) {
        if (part.length === 0) continue;
        n.push(m._n[i]!);
        k.push(key);
        v.push(part);
        any = true;
      }
      if (any) continue;
    }
    n.push(m._n[i]!);
    k.push(key);
    v.push(val);
  }
  m._n = n;
  m._k = k;
  m._v = v;
}
