/**
 * The one output shape of every sans-I/O protocol core (docs/design.md, "Sans-I/O output union"): a core is fed
 * with `handleInput(...)` / `handleTimeout(now)` and drained with `pollOutput()`, which yields these values.
 * @packageDocumentation
 */

/**
 * Bytes the core wants sent. `A` adds where they go when the core knows it (e.g. `{ to: Address }`); a core
 * bound to one peer or one connection leaves it out.
 */
export type CoreDatagram<A extends object = object> = { kind: 'datagram'; data: Uint8Array } & A;

/** Something the application should hear about (`E` is the core's own event union, discriminated by `type`). */
export interface CoreEvent<E> {
  kind: 'event';
  event: E;
}

/** When to call the core's `handleTimeout` next, in the core's clock (ms); `null`: no timer is needed. */
export interface CoreDeadline {
  kind: 'deadline';
  at: number | null;
}

/** One output of a sans-I/O core: a datagram to send, an event, or the next deadline. */
export type CoreOutput<E, A extends object = object> = CoreDatagram<A> | CoreEvent<E> | CoreDeadline;
