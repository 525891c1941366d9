/**
 * mdhavers errors (SPEC.md §10). Every runtime error is one catchable kind carrying a message;
 * `gin_it_gangs_wrang err` binds the complete message.
 */

/** Error categories of SPEC.md §10. */
export type ErrorKind =
  | 'lex'
  | 'parse'
  | 'undefined'
  | 'division'
  | 'type'
  | 'callable'
  | 'arity'
  | 'index'
  | 'overflow'
  | 'loopctl'
  | 'assert'
  | 'user'
  | 'module'
  | 'circular'
  | 'builtin'
  | 'recursion'
  /** The embedder's step budget (`InterpreterOptions.maxSteps`) is spent. */
  | 'limit';

/** A runtime (or lex/parse) error of an mdhavers program. */
export class MdhError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    /** 1-based source line, when the category carries one. */
    readonly line: number | null = null,
  ) {
    super(message);
    this.name = 'MdhError';
  }
}

/** A lexical error: unknown character or bad literal. */
export function lexError(what: string, line: number, col: number): MdhError {
  return new MdhError('lex', `Och! Ah dinnae ken whit '${what}' is at line ${line}, column ${col}`, line);
}

/** A parse error with the found and expected tokens. */
export function parseError(found: string, expected: string, line: number, col?: number): MdhError {
  const at = col === undefined ? `line ${line}` : `line ${line}, column ${col}`;
  return new MdhError('parse', `Haud yer wheesht! Unexpected '${found}' at ${at} - ah wis expectin' ${expected}`, line);
}

/** A parse error with a free-form message. */
export function syntaxError(message: string, line: number): MdhError {
  return new MdhError('parse', `Yer code's a richt guddle! Parser gave up at line ${line}: ${message}`, line);
}

/** Undefined variable, missing dict key or property. */
export function undefinedError(name: string, line: number): MdhError {
  return new MdhError('undefined', `Awa' an bile yer heid! '${name}' hasnae been defined yet at line ${line}`, line);
}

/** Missing dict key in `d[k]` (same category as an undefined variable). */
export function keyError(key: string, line: number): MdhError {
  return new MdhError('undefined', `Key '${key}' doesnae exist in the dictionary at line ${line}`, line);
}

/** Division (or integer modulo) by zero. */
export function divError(line: number): MdhError {
  return new MdhError('division', `Ye numpty! Tryin' tae divide by zero at line ${line}`, line);
}

/** A type error. */
export function typeError(message: string, line: number): MdhError {
  return new MdhError('type', `That's pure mince! Type error at line ${line}: ${message}`, line);
}

/** Calling something that is not callable. */
export function callableError(name: string, line: number): MdhError {
  return new MdhError('callable', `Whit's aw this aboot? '${name}' isnae a function at line ${line}`, line);
}

/** Wrong number of arguments. */
export function arityError(name: string, expected: string, got: number, line: number): MdhError {
  return new MdhError(
    'arity',
    `Yer bum's oot the windae! Function '${name}' expects ${expected} arguments but ye gave it ${got} at line ${line}`,
    line,
  );
}

/** Index out of bounds. */
export function indexError(index: string, size: number, line: number): MdhError {
  return new MdhError('index', `Hoachin'! Index ${index} is oot o' bounds (size is ${size}) at line ${line}`, line);
}

/** Integer overflow. */
export function overflowError(line: number): MdhError {
  return new MdhError('overflow', `Wheesht! Yer number's too muckle at line ${line} - it's overflowed!`, line);
}

/** A builtin failure: the builtin's own message, no line number. */
export function builtinError(message: string): MdhError {
  return new MdhError('builtin', `Och naw! ${message}`);
}

/** Thrown by builtins that only know their own message; call sites leave it without a line. */
export function fail(message: string): never {
  throw builtinError(message);
}
