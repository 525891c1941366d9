// Every package's package.json says what it needs, no more and no less (issue 17, item 7): each dependency it
// declares is imported by its src/ (a `@types/x` dependency counts when `x` is imported), each package its
// src/ imports is in `dependencies`, and each package its tests, examples or scripts import is in
// `dependencies` or `devDependencies` (or, for tooling shared by the whole workspace, the root's devDependencies).
// Examples (packages/*/examples) are not shipped and may use any workspace package (the media IVR example needs
// @mdh/sip, which depends on @mdh/media); their npm imports must still be declared. Plain-JS files under src/ are
// build scripts, not compiled into the package (srtp's wasm-gen.mjs), so their imports count as dev-time.

/** Dependencies a package's src uses by name at run time rather than by an import statement. */
const RESOLVED_BY_NAME: Record<string, string[]> = {
  // `mdh web` serves JsSIP and SIP.js to the browser: web-bundle.ts resolves them by name (`bundleCommonJs('jssip',
  // …)`, `esmPackageFiles('sip.js', …)`).
  '@mdh/cli': ['jssip', 'sip.js'],
  // Opus is loaded on first use (audio/opus.ts: `createRequire(import.meta.url)('opusscript')`).
  '@mdh/media': ['opusscript'],
};

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;
const builtins = new Set(builtinModules);

interface Manifest {
  name: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readJson(path: string): Manifest {
  return JSON.parse(readFileSync(path, 'utf8')) as Manifest;
}

/** Source files (.ts, .mts, .js, .mjs) under `dir`, skipping node_modules and build output. */
function sourceFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const e of entries) {
    if (e === 'node_modules' || e === 'dist') continue;
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(m?ts|m?js)$/.test(e) && !e.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** The npm package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for relative/builtin. */
function packageOf(spec: string): string | undefined {
  if (spec.startsWith('.') || spec.startsWith('/') || spec.startsWith('node:')) return undefined;
  const parts = spec.split('/');
  const name = spec.startsWith('@') ? `${parts[0]}/${parts[1]}` : (parts[0] as string);
  return builtins.has(name) ? undefined : name;
}

/** Packages imported (statically, dynamically, type-only or re-exported) by the given files. */
function importedPackages(files: string[]): Set<string> {
  const found = new Set<string>();
  for (const f of files) {
    // TypeScript's own pre-parser: import/export-from, `import()`, `require()` and `import type`, not strings.
    const info = ts.preProcessFile(readFileSync(f, 'utf8'), true, true);
    for (const ref of info.importedFiles) {
      const name = packageOf(ref.fileName);
      if (name) found.add(name);
    }
  }
  return found;
}

const rootManifest = readJson(join(root, 'package.json'));
const rootDev = new Set(Object.keys(rootManifest.devDependencies ?? {}));
const packages = readdirSync(join(root, 'packages')).filter((p) => {
  try {
    return statSync(join(root, 'packages', p, 'package.json')).isFile();
  } catch {
    return false;
  }
});

describe('workspace dependencies are honest', () => {
  it('finds the packages and their imports', () => {
    expect(packages).toContain('sip');
    expect(importedPackages(sourceFiles(join(root, 'packages/sip/src')))).toContain('@mdh/loop');
    expect(packageOf('@mdh/dtls/testing')).toBe('@mdh/dtls');
    expect(packageOf('node:fs')).toBeUndefined();
    expect(packageOf('fs')).toBeUndefined();
  });

  for (const pkg of packages) {
    const dir = join(root, 'packages', pkg);
    const manifest = readJson(join(dir, 'package.json'));
    const deps = new Set([
      ...Object.keys(manifest.dependencies ?? {}),
      ...Object.keys(manifest.peerDependencies ?? {}),
      ...Object.keys(manifest.optionalDependencies ?? {}),
    ]);
    const devDeps = new Set(Object.keys(manifest.devDependencies ?? {}));
    const srcFiles = sourceFiles(join(dir, 'src'));
    const srcImports = importedPackages(srcFiles.filter((f) => /\.m?ts$/.test(f)));
    for (const name of RESOLVED_BY_NAME[manifest.name] ?? []) srcImports.add(name);
    srcImports.delete(manifest.name);
    const devFiles = [
      ...srcFiles.filter((f) => !/\.m?ts$/.test(f)),
      ...['test', 'scripts', 'bench'].flatMap((d) => sourceFiles(join(dir, d))),
    ];
    const otherImports = importedPackages(devFiles);
    for (const name of importedPackages(sourceFiles(join(dir, 'examples')))) {
      if (!name.startsWith('@mdh/')) otherImports.add(name);
    }
    otherImports.delete(manifest.name);

    it(`${manifest.name}: every dependency it declares is imported by its src`, () => {
      const unused = [...deps].filter((d) => {
        const used = d.startsWith('@types/') ? d.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2') : d;
        return !srcImports.has(used);
      });
      expect(unused).toEqual([]);
    });

    it(`${manifest.name}: every package its src imports is a dependency`, () => {
      expect([...srcImports].filter((d) => !deps.has(d))).toEqual([]);
    });

    it(`${manifest.name}: every package its tests and examples import is declared`, () => {
      const undeclared = [...otherImports].filter(
        (d) => !deps.has(d) && !devDeps.has(d) && !(rootDev.has(d) && !d.startsWith('@mdh/')),
      );
      expect(undeclared).toEqual([]);
    });

    it(`${manifest.name}: every devDependency is imported by its tests, examples or scripts`, () => {
      const unused = [...devDeps].filter((d) => {
        const used = d.startsWith('@types/') ? d.slice('@types/'.length).replace(/^(.+)__(.+)$/, '@$1/$2') : d;
        return !otherImports.has(used) && !srcImports.has(used);
      });
      expect(unused).toEqual([]);
    });
  }
});
