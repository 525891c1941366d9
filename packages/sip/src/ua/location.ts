/** One contact bound to an address of record (RFC 3261 §10.3). */
export interface Binding {
  /** The contact URI. */
  contact: string;
  /** Absolute expiry time (clock ms of the registrar's `now`). */
  expiresAt: number;
  /** Call-ID of the REGISTER that made or last refreshed the binding (§10.3 step 7 orders refreshes by it). */
  callId: string;
  /** CSeq number of that REGISTER. */
  cseq: number;
  /** Source the REGISTER came from (`address:port`). */
  source?: string;
  /** The contact's `q` value, 0–1 (RFC 3261 §10.2.1.2), when given: higher is tried first. */
  q?: number;
  /** The REGISTER's Path header values in order (RFC 3327 §5.3), to be used as Route set towards the contact. */
  path?: string[];
}

/** A value or a promise of it: a location store may answer at once (in memory) or later (Redis, SQL). */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Where a {@link Registrar} keeps its contact bindings (the location service of RFC 3261 §10.3, read by a
 * proxy's default router, §16.5). Every method may return a promise, so a store can live in Redis or a
 * database shared by several processes; the default {@link MemoryLocationStore} answers synchronously.
 *
 * Keys are address-of-record texts as the registrar normalises them (`sip:user@host`, lower case, `sips`
 * folded onto `sip`). A binding is identified within its AOR by its `contact` text.
 *
 * Contract:
 * - `get` returns the AOR's bindings (expired ones may be included: the registrar drops those whose
 *   `expiresAt` is not after its clock); an unknown AOR gives an empty list.
 * - `put` adds the binding, or replaces the one with the same `contact` (a refresh).
 * - `remove(aor, contact)` deletes one binding, `remove(aor)` all of the AOR's (`Contact: *`).
 * - `expire(now)` deletes every binding with `expiresAt <= now` and returns how many; the registrar's
 *   {@link Registrar.sweep} (which a proxy calls periodically) drives it. A store with its own expiry
 *   (Redis `PEXPIREAT` per binding) may do nothing here and return 0.
 * - `count` (optional) is the number of AORs with bindings, for the registrar's `maxAors` cap.
 *
 * One registrar serialises the REGISTERs of one AOR (a refresh waits for the previous one to be stored), so a
 * store needs no locking for one process. Several processes writing one AOR at once (cluster workers on a
 * shared store) can interleave; a store that must be exact there uses a transaction per `put` (Redis `MULTI`,
 * SQL `INSERT … ON CONFLICT`). Cluster workers of `mdh proxy` hash a REGISTER by its Call-ID, so the refreshes
 * of one client (the same Call-ID, RFC 3261 §10.2.4) always reach the same worker.
 *
 * ```ts
 * import { type Binding, type LocationStore, Registrar } from '@mdh/sip';
 *
 * // A store on a key-value service with async calls (here a Map standing in for Redis hashes).
 * class KvStore implements LocationStore {
 *   private readonly kv = new Map<string, Map<string, Binding>>();
 *   async get(aor: string) { return [...(this.kv.get(aor)?.values() ?? [])]; }
 *   async put(aor: string, b: Binding) {
 *     const m = this.kv.get(aor) ?? new Map<string, Binding>();
 *     m.set(b.contact, b);
 *     this.kv.set(aor, m);
 *   }
 *   async remove(aor: string, contact?: string) {
 *     if (contact === undefined) this.kv.delete(aor);
 *     else this.kv.get(aor)?.delete(contact);
 *   }
 *   async expire(now: number) {
 *     let n = 0;
 *     for (const [aor, m] of this.kv) {
 *       for (const [c, b] of m) if (b.expiresAt <= now) { m.delete(c); n++; }
 *       if (!m.size) this.kv.delete(aor);
 *     }
 *     return n;
 *   }
 * }
 * const registrar = new Registrar({ now: () => performance.now(), store: new KvStore() });
 * ```
 */
export interface LocationStore {
  /** The bindings of an AOR (possibly including expired ones); `[]` when it has none. */
  get(aor: string): MaybePromise<readonly Binding[]>;
  /** Adds a binding to an AOR, replacing the one with the same contact. */
  put(aor: string, binding: Binding): MaybePromise<void>;
  /** Removes the binding of `contact`, or every binding of the AOR when `contact` is omitted. */
  remove(aor: string, contact?: string): MaybePromise<void>;
  /** Removes every binding with `expiresAt <= now`; returns how many were removed. */
  expire(now: number): MaybePromise<number>;
  /** Number of AORs with at least one binding (optional; enables the registrar's `maxAors` cap). */
  count?(): MaybePromise<number>;
}

/** The default {@link LocationStore}: bindings in a `Map` of this process, every call synchronous. */
export class MemoryLocationStore implements LocationStore {
  private readonly aors = new Map<string, Binding[]>();

  /** The AOR's bindings (a copy of the list). */
  get(aor: string): Binding[] {
    return this.aors.get(aor)?.slice() ?? [];
  }

  /** Adds or replaces (same contact) a binding. */
  put(aor: string, binding: Binding): void {
    const list = this.aors.get(aor);
    if (!list) {
      this.aors.set(aor, [binding]);
      return;
    }
    const i = list.findIndex((b) => b.contact === binding.contact);
    if (i >= 0) list[i] = binding;
    else list.push(binding);
  }

  /** Removes one binding or all of an AOR's. */
  remove(aor: string, contact?: string): void {
    if (contact === undefined) {
      this.aors.delete(aor);
      return;
    }
    const list = this.aors.get(aor);
    if (!list) return;
    const i = list.findIndex((b) => b.contact === contact);
    if (i >= 0) list.splice(i, 1);
    if (!list.length) this.aors.delete(aor);
  }

  /** Removes the expired bindings. */
  expire(now: number): number {
    let n = 0;
    for (const [aor, list] of this.aors) {
      const keep = list.filter((b) => b.expiresAt > now);
      n += list.length - keep.length;
      if (keep.length) this.aors.set(aor, keep);
      else this.aors.delete(aor);
    }
    return n;
  }

  /** Number of AORs with bindings. */
  count(): number {
    return this.aors.size;
  }
}
