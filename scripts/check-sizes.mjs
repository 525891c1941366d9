// Size rule of docs/design.md (issue #17 item 8): no source file over 600 lines and no function over 100 lines,
// except the unrolled crypto listed below. Run by `pnpm lint`; prints what breaks the rule and exits 1.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

const MAX_FILE_LINES = 600;
const MAX_FUNCTION_LINES = 100;
/** Unrolled on purpose (speed): the 80 SHA-1 rounds and the 4-block GHASH step. */
const UNROLLED = new Set([
  'packages/srtp/src/crypto/sha1.ts:sha1Compress',
  'packages/srtp/src/crypto/ghash.ts:ghashBytes',
]);

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const files = [];
for (const pkg of readdirSync(path.join(root, 'packages'))) {
  const walk = (dir) => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ts') && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  walk(path.join(root, 'packages', pkg, 'src'));
}
const problems = [];
for (const f of files) {
  const rel = path.relative(root, f);
  const text = readFileSync(f, 'utf8');
  const lines = text.split('\n').length - (text.endsWith('\n') ? 1 : 0);
  if (lines > MAX_FILE_LINES) problems.push(`${rel}: ${lines} lines (max ${MAX_FILE_LINES})`);
  const src = ts.createSourceFile(f, text, ts.ScriptTarget.Latest, true);
  const visit = (n) => {
    if (ts.isFunctionLike(n) && n.body) {
      const a = src.getLineAndCharacterOfPosition(n.getStart()).line;
      const b = src.getLineAndCharacterOfPosition(n.end).line;
      const name = n.name ? n.name.getText() : '(anonymous)';
      if (b - a + 1 > MAX_FUNCTION_LINES && !UNROLLED.has(`${rel}:${name}`))
        problems.push(`${rel}:${a + 1}: function ${name} is ${b - a + 1} lines (max ${MAX_FUNCTION_LINES})`);
    }
    ts.forEachChild(n, visit);
  };
  visit(src);
}
if (problems.length > 0) {
  process.stderr.write(`check-sizes: ${problems.length} over the size rule (docs/design.md)\n${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write(
  `check-sizes: ${files.length} source files, none over ${MAX_FILE_LINES} lines or with a function over ${MAX_FUNCTION_LINES}\n`,
);
