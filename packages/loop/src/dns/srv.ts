import type { SrvRecord } from './resolver.js';

/**
 * Orders SRV records for trying, as RFC 2782 ("Usage rules") says: ascending priority; within a
 * priority, a weighted random order where each record's chance is proportional to its weight
 * (zero-weight records are placed first in the running sum, so they are rarely picked early).
 * A single record whose target is '' (".") means the service is not available: the result is []. Records of one
 * priority are laid out in target:port order before the draw, so the same random source gives the same order
 * whatever order the answer listed them in. @mdh/sip's RFC 3263 resolver uses this; it is the one SRV ordering.
 * `random` returns a number in [0, 1) (inject a seeded one for reproducible tests).
 *
 * @example
 * const ordered = orderSrv(await resolver.srv('_sip._udp.example.com'));
 * for (const r of ordered) if (await tryConnect(r.target, r.port)) break;
 */
export function orderSrv<T extends Pick<SrvRecord, 'priority' | 'weight'> & { target?: string; port?: number }>(
  records: readonly T[],
  random: () => number = Math.random,
): T[] {
  if (records.length === 1 && records[0]!.target === '') return [];
  const byPrio = new Map<number, T[]>();
  for (const r of records) {
    const l = byPrio.get(r.priority) ?? [];
    l.push(r);
    byPrio.set(r.priority, l);
  }
  const out: T[] = [];
  for (const prio of [...byPrio.keys()].sort((a, b) => a - b)) {
    // Zero weights first (RFC 2782), each part in target:port order, so that the result depends only on the
    // random source and not on the order the DNS answer listed the records in.
    const group = [...byPrio.get(prio)!].sort(byTargetPort);
    const pool = [...group.filter((r) => r.weight === 0), ...group.filter((r) => r.weight !== 0)];
    while (pool.length > 0) {
      const sum = pool.reduce((a, r) => a + r.weight, 0);
      const pick = Math.floor(random() * (sum + 1)); // uniform in 0..sum
      let run = 0;
      let idx = pool.length - 1;
      for (let i = 0; i < pool.length; i++) {
        run += pool[i]!.weight;
        if (run >= pick) {
          idx = i;
          break;
        }
      }
      out.push(pool.splice(idx, 1)[0]!);
    }
  }
  return out;
}

function srvKey(r: { target?: string; port?: number }): string {
  return `${r.target ?? ''}:${r.port ?? ''}`;
}

function byTargetPort(a: { target?: string; port?: number }, b: { target?: string; port?: number }): number {
  const x = srvKey(a);
  const y = srvKey(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
