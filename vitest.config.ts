import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const pkgs = ['bytes', 'loop', 'rtp', 'srtp', 'dtls', 'media', 'sip', 'mdhavers', 'cli'];

export default defineConfig({
  resolve: {
    // Subpaths first: an alias also matches the imports below its name (`@mdh/dtls/…`), and the first match wins.
    alias: {
      '@mdh/loop/clock': fileURLToPath(new URL('./packages/loop/src/clock.ts', import.meta.url)),
      '@mdh/dtls/testing': fileURLToPath(new URL('./packages/dtls/src/testing.ts', import.meta.url)),
      '@mdh/media/testing': fileURLToPath(new URL('./packages/media/src/testing.ts', import.meta.url)),
      '@mdh/sip/testing': fileURLToPath(new URL('./packages/sip/src/testing.ts', import.meta.url)),
      ...Object.fromEntries(
        pkgs.map((p) => [`@mdh/${p}`, fileURLToPath(new URL(`./packages/${p}/src/index.ts`, import.meta.url))]),
      ),
    },
  },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'tests/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
  },
});
