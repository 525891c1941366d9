import type { SrvRecord } from './resolver.js';

/**
 * Orders SRV records for trying, as RFC 2782 ("Usage rules") says: ascending priority; within a
 * priority, a weighted random order where each record's chance is proportional to its weight
 * (zero-weight records are placed first in the running sum, so they are rarely picked early).
 * A single record whose target is '' (".") means the service is not available: the result is [].
 * `random` returns a number in [0, 1) (inject a seeded one for reproducible tests).
 *
 * @example
 * const ordered = orderSrv(await resolver.srv('_sip._udp.example.com'));
 * for (const r of ordered) if (await tryConnect(r.target, r.port)) break;
 */
export function orderSrv<T extends Pick<SrvRecord, 'priority' | 'weight' | 'target'>>(
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
    // Zero weights first, then the others in their received order (RFC 2782).
    const group = byPrio.get(prio)!;
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
