import { describe, expect, it } from 'vitest';
import { spawn } from '../src/index.js';

const fx = (name: string) => new URL(`./fixtures/${name}`, import.meta.url);

describe('spawn/join when the worker leaves handles behind', () => {
  it('join() resolves with the result once the function returned, and the thread is ended', async () => {
    const t = spawn<{ got: number }>(fx('lingering-handle.mjs'), [7]);
    expect(await t.join(5_000)).toEqual({ got: 7 });
    // The thread's function has returned: the worker must not keep running (nor keep the process alive).
    for (let i = 0; i < 100 && !t.done; i++) await new Promise((r) => setTimeout(r, 20));
    expect(t.done).toBe(true);
  });
});
