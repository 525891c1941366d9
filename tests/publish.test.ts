// Publishability: pack every package, install the tarballs into a fresh project outside the workspace,
// then do what users do: `import` each package, `require()` it (Node ≥ 20.19 loads ESM synchronously),
// type-check a consumer with `tsc --strict` under node16, nodenext and bundler module resolution, and run
// the `mdh`/`mdhavers` bins with --version — what `npm publish` would hand users. Every tarball carries
// the LICENSE and no source maps.
// Needs the packages built (`pnpm test` builds first) and the npm registry for third-party deps.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');
const pkgDirs = readdirSync(join(root, 'packages')).sort();
const manifests = pkgDirs.map((d) => ({
  dir: d,
  json: JSON.parse(readFileSync(join(root, 'packages', d, 'package.json'), 'utf8')) as {
    name: string;
    version: string;
    bin?: Record<string, string>;
  },
}));
const work = mkdtempSync(join(tmpdir(), 'mdh-publish-'));

afterAll(() => {
  rmSync(work, { recursive: true, force: true });
});

describe('every package is publishable', () => {
  it('packs, installs outside the workspace, imports and type-checks', { timeout: 300_000 }, () => {
    const packs = join(work, 'packs');
    mkdirSync(packs);
    for (const m of manifests) {
      execFileSync('pnpm', ['pack', '--pack-destination', packs], {
        cwd: join(root, 'packages', m.dir),
        stdio: 'pipe',
      });
    }
    const tarballs = readdirSync(packs).filter((f) => f.endsWith('.tgz'));
    expect(tarballs.length).toBe(manifests.length);
    for (const t of tarballs) {
      const list = execFileSync('tar', ['-tzf', join(packs, t)], { encoding: 'utf8' }).split('\n');
      expect(list, t).toContain('package/LICENSE');
      expect(list, t).toContain('package/CHANGELOG.md');
      expect(
        list.filter((f) => f.endsWith('.map')),
        t,
      ).toEqual([]);
      expect(readFileSync(join(root, 'LICENSE'), 'utf8')).toContain('Copyright (c) 2026 the mdh authors');
    }

    const app = join(work, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    execFileSync(
      'npm',
      ['install', '--no-audit', '--no-fund', '--loglevel=error', ...tarballs.map((t) => join(packs, t))],
      { cwd: app, stdio: 'pipe' },
    );

    // Runtime import of every package's public entry.
    const names = manifests.map((m) => m.json.name);
    const script = `${names.map((n, i) => `import * as m${i} from '${n}';`).join('\n')}
const all = [${names.map((_, i) => `m${i}`).join(', ')}];
console.log(JSON.stringify(all.map((m) => Object.keys(m).length)));`;
    writeFileSync(join(app, 'check.mjs'), script);
    const out = execFileSync(process.execPath, ['check.mjs'], { cwd: app, encoding: 'utf8' });
    const counts = JSON.parse(out) as number[];
    expect(counts.length).toBe(names.length);
    for (const c of counts) expect(c).toBeGreaterThan(0);

    // require() of every package from CommonJS gives the same names as import.
    writeFileSync(
      join(app, 'check.cjs'),
      `const names = ${JSON.stringify(names)};\nconsole.log(JSON.stringify(names.map((n) => Object.keys(require(n)).filter((k) => k !== '__esModule' && k !== 'module.exports').length)));\n`,
    );
    const required = JSON.parse(
      execFileSync(process.execPath, ['check.cjs'], { cwd: app, encoding: 'utf8', stdio: 'pipe' }),
    ) as number[];
    expect(required).toEqual(counts);

    // Type-check a consumer file against the published .d.ts files, strict, under each module resolution.
    writeFileSync(
      join(app, 'consumer.ts'),
      `${names.map((n, i) => `import * as m${i} from '${n}';`).join('\n')}\nexport const n: number = [${names
        .map((_, i) => `m${i}`)
        .join(', ')}].length;\n`,
    );
    const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
    for (const [module, moduleResolution] of [
      ['Node16', 'Node16'],
      ['NodeNext', 'NodeNext'],
      ['ESNext', 'Bundler'],
    ] as const) {
      const config = `tsconfig.${moduleResolution.toLowerCase()}.json`;
      writeFileSync(
        join(app, config),
        JSON.stringify({
          compilerOptions: {
            module,
            moduleResolution,
            target: 'ES2022',
            strict: true,
            noEmit: true,
            skipLibCheck: false,
            typeRoots: [join(root, 'node_modules', '@types')],
            types: ['node'],
          },
          files: ['consumer.ts'],
        }),
      );
      let tscOut = '';
      try {
        execFileSync(process.execPath, [tsc, '-p', config], { cwd: app, encoding: 'utf8', stdio: 'pipe' });
      } catch (e) {
        tscOut = String((e as { stdout?: string }).stdout ?? e);
      }
      expect(tscOut, moduleResolution).toBe('');
    }

    // Commands declared in "bin" are installed and start.
    for (const m of manifests) {
      for (const bin of Object.keys(m.json.bin ?? {})) {
        const res = execFileSync(join(app, 'node_modules', '.bin', bin), ['--help'], { encoding: 'utf8' });
        expect(res.length).toBeGreaterThan(0);
        const ver = execFileSync(join(app, 'node_modules', '.bin', bin), ['--version'], { encoding: 'utf8' });
        expect(ver.trim(), bin).toBe(m.json.version);
      }
    }
  });
});
