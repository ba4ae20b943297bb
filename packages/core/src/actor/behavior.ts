import type { ActorContext } from './context.js'

/**
 * What an actor does. `receive` handles one message at a time, in arrival
 * order; if it returns a promise, the next message waits for it.
 *
 * @example
 * ```ts
 * const counter = () => {
 *   let count = 0
 *   return { receive(n: number, ctx) { count += n; ctx.reply(count) } }
 * }
 * node.spawn('counter', counter)
 * ```
 */
export interface Behavior<TMessage = unknown, TReply = unknown> {
  receive(message: TMessage, ctx: ActorContext<TMessage, TReply>): void | Promise<void>
  /** Runs before the first message, and again after each restart. */
  started?(ctx: ActorContext<TMessage, TReply>): void | Promise<void>
  /** Runs when the actor stops (after its children have stopped), and before each restart. */
  stopped?(ctx: ActorContext<TMessage, TReply>): void | Promise<void>
}

/**
 * A behavior, or a factory making one. A factory is called again on every
 * restart, so state kept in its closure starts fresh; a plain object keeps its
 * state across restarts.
 */
export type BehaviorSource<TMessage = unknown, TReply = unknown> =
  | Behavior<TMessage, TReply>
  | (() => Behavior<TMessage, TReply>)
