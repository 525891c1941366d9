import { spawnSync } from 'node:child_process';

/**
 * Whether a real peer program is installed. Interop tests use `describe.skipIf(!hasPeer(x))`, and say
 * so loudly; with MDH_REQUIRE_PEERS=1 (set by .ci/run) a missing peer is a failure, never a skip.
 */
export function hasPeer(cmd: string): boolean {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  const ok = r.status === 0;
  if (!ok) {
    if (process.env.MDH_REQUIRE_PEERS === '1') {
      throw new Error(`interop peer '${cmd}' is not installed but MDH_REQUIRE_PEERS=1`);
    }
    console.warn(
      `\n*** interop peer '${cmd}' is not installed: its tests are SKIPPED (install it; .ci/run does) ***\n`,
    );
  }
  return ok;
}
