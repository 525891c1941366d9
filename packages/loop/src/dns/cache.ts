import type { DnsRecord } from './message.js';

/** Anything with a millisecond `now()` (the @mdh/loop `Clock`). */
export interface NowSource {
  /** The current time in milliseconds. */
  now(): number;
}

/** One cached answer: records, or a negative answer (RFC 2308). */
/** One cached answer: records (positive) or NXDOMAIN/NODATA (negative), with when it was stored and expires (ms). */
export type CacheEntry =
  | { kind: 'records'; records: DnsRecord[]; storedAt: number; expiresAt: number }
  | { kind: 'negative'; code: 'NXDOMAIN' | 'NODATA'; storedAt: number; expiresAt: number };

/**
 * A bounded TTL cache of DNS answers keyed by (name, type). Positive entries live for the smallest
 * TTL of their records; negative ones (NXDOMAIN, NODATA) for min(SOA TTL, SOA MINIMUM) as RFC 2308
 * §5 says, capped by `maxNegativeTtl` — NODATA per (name, type), NXDOMAIN per name (any type). When
 * full, the oldest entry is evicted.
 */
export class DnsCache {
  private readonly map = new Map<string, CacheEntry>();

  constructor(
    private readonly clock: NowSource,
    readonly maxEntries = 1000,
    readonly maxTtl = 86_400,
    readonly maxNegativeTtl = 10_800,
  ) {}

  private key(name: string, type: number | '*'): string {
    return `${type}|${name.toLowerCase().replace(/\.$/, '')}`;
  }

  /** The live entry under `k`, dropping it when expired. */
  private live(k: string, now: number): CacheEntry | undefined {
    const e = this.map.get(k);
    if (e && now >= e.expiresAt) {
      this.map.delete(k);
      return undefined;
    }
    return e;
  }

  /**
   * The live entry for (name, type), with record TTLs decremented by the time spent in the cache. A cached
   * name error (NXDOMAIN) answers for every type of that name (RFC 2308 §5: it is cached per QNAME).
   */
  get(name: string, type: number): CacheEntry | undefined {
    const now = this.clock.now();
    const e = this.live(this.key(name, type), now) ?? this.live(this.key(name, '*'), now);
    if (!e) return undefined;
    if (e.kind === 'negative') return e;
    const aged = Math.floor((now - e.storedAt) / 1000);
    return { ...e, records: e.records.map((r) => ({ ...r, ttl: Math.max(0, r.ttl - aged) })) };
  }

  /** Caches records for the smallest of their TTLs (a zero TTL is not cached, RFC 1035 §3.2.1). */
  putRecords(name: string, type: number, records: DnsRecord[]): void {
    if (records.length === 0) return;
    const ttl = Math.min(this.maxTtl, ...records.map((r) => r.ttl));
    if (ttl <= 0) return;
    const now = this.clock.now();
    this.set(this.key(name, type), { kind: 'records', records, storedAt: now, expiresAt: now + ttl * 1000 });
  }

  /**
   * Caches a negative answer for `ttl` seconds (from the SOA; RFC 2308 §5): NODATA for <name, type>,
   * NXDOMAIN for the name whatever the type.
   */
  putNegative(name: string, type: number, code: 'NXDOMAIN' | 'NODATA', ttl: number): void {
    const t = Math.min(this.maxNegativeTtl, ttl);
    if (t <= 0) return;
    const now = this.clock.now();
    const k = this.key(name, code === 'NXDOMAIN' ? '*' : type);
    this.set(k, { kind: 'negative', code, storedAt: now, expiresAt: now + t * 1000 });
  }

  private set(k: string, e: CacheEntry): void {
    this.map.delete(k);
    if (this.map.size >= this.maxEntries) {
      const oldest = this.map.keys().next();
      if (!oldest.done) this.map.delete(oldest.value);
    }
    this.map.set(k, e);
  }

  /** Number of entries (some may have expired but not yet been looked at). */
  get size(): number {
    return this.map.size;
  }

  /** Empties the cache. */
  clear(): void {
    this.map.clear();
  }
}
