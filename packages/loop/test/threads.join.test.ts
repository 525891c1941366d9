import { describe, expect, it } from 'vitest';
import { spawn } from '../src/index.js';

const fx = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

describe('spawn/join when the worker leaves handles behind', () => {
  it('join() gives the result once the function returned, even if the worker stays alive', async () => {
    const t = spawn<{ got: number }>(fx('lingering-handle.mjs'), [7]);
    const t0 = performance.now();
    expect(await t.join(5_000)).toEqual({ got: 7 });
    expect(performance.now() - t0).toBeLessThan(4_000);
    // The worker was not killed (its timers may be deliberate); the caller can still stop it.
    expect(t.done).toBe(false);
    await t.terminate();
    for (let i = 0; i < 100 && !t.done; i++) await new Promise((r) => setTimeout(r, 10));
    expect(t.done).toBe(true);
  });
});
