/**
 * The mdhavers syntax tree (SPEC.md §2). Every node carries its 1-based source line and offset.
 */

/** Literal values in the tree. */
export type LitValue = number | bigint | { float: number } | string | boolean | null;

interface Base {
  line: number;
  pos: number;
}

/** An argument or list element, possibly spread with `...`. */
export interface Item {
  spread: boolean;
  e: Expr;
}

/** Expressions. */
export type Expr =
  | (Base & { k: 'lit'; v: LitValue })
  | (Base & { k: 'var'; name: string })
  | (Base & { k: 'fstr'; parts: (string | Expr)[] })
  | (Base & { k: 'list'; items: Item[] })
  | (Base & { k: 'dict'; entries: [Expr, Expr][] })
  | (Base & { k: 'blockexpr'; body: Stmt[] })
  | (Base & { k: 'lambda'; params: string[]; body: Expr | null; block: Stmt[] | null; end: number })
  | (Base & { k: 'range'; a: Expr; b: Expr; incl: boolean })
  | (Base & { k: 'neg' | 'not'; e: Expr })
  | (Base & { k: 'bin'; op: string; l: Expr; r: Expr })
  | (Base & { k: 'and' | 'or'; l: Expr; r: Expr })
  | (Base & { k: 'tern'; c: Expr; a: Expr; b: Expr })
  | (Base & { k: 'pipe'; l: Expr; r: Expr })
  | (Base & { k: 'call'; f: Expr; args: Item[] })
  | (Base & { k: 'index'; o: Expr; i: Expr })
  | (Base & { k: 'slice'; o: Expr; a: Expr | null; b: Expr | null; s: Expr | null })
  | (Base & { k: 'prop'; o: Expr; name: string })
  | (Base & { k: 'assign'; target: Expr; e: Expr })
  | (Base & { k: 'cassign'; name: string; op: string; e: Expr });

/** `keek` patterns (SPEC.md §6). */
export type Pattern =
  | { k: 'plit'; v: LitValue }
  | { k: 'pwild' }
  | { k: 'pvar'; name: string }
  | { k: 'prange'; a: number | bigint; b: number | bigint };

/** Destructuring targets (T2). */
export type DPattern = { k: 'dvar'; name: string } | { k: 'dwild' } | { k: 'drest'; name: string | null };

/** Statements. */
export type Stmt =
  | (Base & { k: 'ken'; name: string; e: Expr | null })
  | (Base & { k: 'kendes'; pats: DPattern[]; e: Expr })
  | (Base & { k: 'dae'; name: string; params: string[]; defaults: (Expr | null)[]; body: Stmt[]; end: number })
  | (Base & { k: 'fetch'; path: string; alias: string | null })
  | (Base & { k: 'if'; c: Expr; then: Stmt[]; else: Stmt[] | null })
  | (Base & { k: 'while'; c: Expr; body: Stmt[] })
  | (Base & { k: 'for'; v: string; e: Expr; body: Stmt[] })
  | (Base & { k: 'gie'; e: Expr | null })
  | (Base & { k: 'blether'; e: Expr })
  | (Base & { k: 'brak' | 'haud' })
  | (Base & { k: 'try'; body: Stmt[]; err: string; handler: Stmt[] })
  | (Base & { k: 'hurl'; e: Expr })
  | (Base & { k: 'assert'; c: Expr; msg: Expr | null })
  | (Base & { k: 'keek'; e: Expr; arms: { pat: Pattern; body: Stmt[]; block: boolean }[] })
  | (Base & { k: 'block'; body: Stmt[] })
  | (Base & { k: 'expr'; e: Expr });
