/**
 * @mdh/mdhavers — the mdhavers language interpreter (SPEC.md tiers T1 and T2), with the mdh SDK
 * packages as its runtime builtins and a .braw standard library.
 * @packageDocumentation
 */
export type { DPattern, Expr, LitValue, Pattern, Stmt } from './ast.js';
export { runCli } from './cli.js';
export { type ErrorKind, MdhError } from './errors.js';
export { Interpreter, type InterpreterOptions, PACKAGE_ROOT } from './interpreter.js';
export { lex, type Token } from './lexer.js';
export { MAX_NESTING, type ParseStats, parseProgram } from './parser.js';
export {
  display,
  equals,
  formatFloat,
  kindOf,
  MBytes,
  MDict,
  MFloat,
  MFunc,
  MNative,
  truthy,
  type Value,
} from './values.js';
