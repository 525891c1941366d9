/**
 * Packs an installed CommonJS npm package and its dependencies into one browser script (JsSIP ships CommonJS only).
 * Modules are found from the package's own files (`require('…')` with a literal argument), resolved as Node does from
 * each file's directory, honouring a package's `browser` field (string form, or an object mapping its main file).
 */
import { readdirSync, readFileSync, realpathSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { dirname, join, relative } from 'node:path';

/** Most modules a bundle may hold (a guard against a runaway dependency graph). */
const MAX_MODULES = 500;

function packageRoot(file: string): { dir: string; pkg: Record<string, unknown> } | undefined {
  for (let dir = dirname(file), i = 0; i < 20; i++, dir = dirname(dir)) {
    try {
      return { dir, pkg: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) };
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
  return undefined;
}

/** Node's resolution from `from`, with the target package's `browser` replacement of its main file. */
function resolveFrom(from: string, spec: string): string {
  // a package named like a Node builtin (`events`): `events/` is the installed package, not the builtin
  const file = realpathSync(createRequire(from).resolve(isBuiltin(spec) ? `${spec}/` : spec));
  if (spec.startsWith('.')) return file;
  const root = packageRoot(file);
  const browser = root?.pkg.browser;
  if (!root || browser === undefined) return file;
  const rel = `./${relative(root.dir, file)}`;
  if (typeof browser === 'string') return realpathSync(join(root.dir, browser));
  if (typeof browser === 'object' && browser !== null) {
    const b = browser as Record<string, unknown>;
    const main = typeof root.pkg.main === 'string' ? root.pkg.main : undefined;
    const hit = b[rel] ?? (main !== undefined ? (b[main] ?? b[`./${main.replace(/^\.\//, '')}`]) : undefined);
    if (typeof hit === 'string') return realpathSync(join(root.dir, hit));
  }
  return file;
}

/**
 * One script that defines `globalThis[globalName]` as `require(packageName)`, resolved from `fromFile`'s directory.
 *
 * ```ts
 * const js = bundleCommonJs('jssip', 'JsSIP', import.meta.url);
 * ```
 */
export function bundleCommonJs(packageName: string, globalName: string, fromFile: string): string {
  const from = fromFile.startsWith('file:') ? new URL(fromFile).pathname : fromFile;
  const ids = new Map<string, number>();
  const parts: string[] = [];
  const visit = (file: string): number => {
    const known = ids.get(file);
    if (known !== undefined) return known;
    if (ids.size >= MAX_MODULES) throw new Error(`bundle of ${packageName}: more than ${MAX_MODULES} modules`);
    const id = ids.size;
    ids.set(file, id);
    const src = readFileSync(file, 'utf8');
    const map: Record<string, number> = {};
    for (const m of src.matchAll(/\brequire\(\s*(['"])([^'"\n]+)\1\s*\)/g)) {
      const spec = m[2]!;
      if (spec in map) continue;
      try {
        map[spec] = visit(resolveFrom(file, spec));
      } catch {
        // not installed (an optional dependency, or a require in a comment): require() of it throws at run time
      }
    }
    const body = file.endsWith('.json') ? `module.exports = ${src};` : src;
    parts[id] = `[function (module, exports, require) {\n${body}\n}, ${JSON.stringify(map)}]`;
    return id;
  };
  const entry = visit(resolveFrom(from, packageName));
  return `(function () {
var process = { env: {}, browser: true };
var defs = [${parts.join(',\n')}];
var cache = {};
function load(id) {
  if (cache[id]) return cache[id].exports;
  var module = (cache[id] = { exports: {} });
  var def = defs[id];
  def[0].call(module.exports, module, module.exports, function (spec) {
    if (!(spec in def[1])) throw new Error('module not bundled: ' + spec);
    return load(def[1][spec]);
  });
  return module.exports;
}
globalThis[${JSON.stringify(globalName)}] = load(${entry});
})();
`;
}

/** Most files {@link esmPackageFiles} serves of one package. */
const MAX_ESM_FILES = 1000;

/**
 * The JavaScript files of an installed ES-module npm package (SIP.js ships ES modules whose imports are all relative,
 * so a browser loads them as they are), keyed by their URL path under `prefix`: the directory of the package's main
 * file and everything below it. Throws when the package imports a bare specifier a browser could not resolve.
 *
 * ```ts
 * const files = esmPackageFiles('sip.js', import.meta.url, '/sip.js/'); // '/sip.js/index.js' → source
 * ```
 */
export function esmPackageFiles(packageName: string, fromFile: string, prefix: string): Map<string, string> {
  const from = fromFile.startsWith('file:') ? new URL(fromFile).pathname : fromFile;
  const main = realpathSync(createRequire(from).resolve(packageName));
  const root = dirname(main);
  const out = new Map<string, string>();
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const file = join(dir, e.name);
      if (e.isDirectory()) walk(file);
      else if (e.isFile() && e.name.endsWith('.js')) {
        if (out.size >= MAX_ESM_FILES) throw new Error(`${packageName}: more than ${MAX_ESM_FILES} files`);
        const src = readFileSync(file, 'utf8');
        for (const m of src.matchAll(/^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*(['"])([^'"]+)\1/gm))
          if (!m[2]!.startsWith('.')) throw new Error(`${packageName}: ${file} imports a bare specifier ${m[2]}`);
        out.set(`${prefix}${relative(root, file).split('\\').join('/')}`, src);
      }
    }
  };
  walk(root);
  return out;
}
