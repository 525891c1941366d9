/**
 * The builtin registry: name → native function, plus the sets the suspend analysis needs.
 */
import { MNative, type Value } from '../values.js';

/** Collects builtins. */
export class Registry {
  /** Every builtin by name. */
  readonly natives = new Map<string, MNative>();
  /** Builtins that call a function argument (their suspension depends on it). */
  readonly hof = new Set<string>();
  /** Builtins that only have an async implementation. */
  readonly async = new Set<string>();

  /** Defines a synchronous builtin (optionally with an async variant for function arguments). */
  def(
    name: string,
    arity: number,
    fn: (args: Value[]) => Value,
    afn: ((args: Value[]) => Promise<Value>) | null = null,
  ): void {
    this.natives.set(name, new MNative(name, arity, fn, afn));
    this.async.delete(name);
  }

  /** Defines a builtin that may block (async only). */
  defAsync(name: string, arity: number, afn: (args: Value[]) => Promise<Value>): void {
    this.natives.set(name, new MNative(name, arity, null, afn));
    this.async.add(name);
  }
}
