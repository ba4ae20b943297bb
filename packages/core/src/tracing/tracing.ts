import type { Address } from '../address.js'

/** What a message that leaves does to a trace: the context it carries, and the span to end. */
export interface OutgoingSpan {
  /** W3C `traceparent`, and `tracestate` after a space when there is one: what the envelope carries. */
  readonly context: string
  /** The send is on its way, or the ask answered (`error`: it failed). */
  end(error?: unknown): void
}

/** A fan-out (a group's `broadcast` or `askAll`): the messages it sends link to its span. */
export interface FanOutSpan {
  end(): void
}

/**
 * How a node traces the messages it sends and handles. Give one to
 * `createNode({ tracing })`: `openTelemetry()` from `@troupe/core/otel` makes
 * one over `@opentelemetry/api`. Without it (the default) nothing is traced
 * and messages carry no trace context.
 */
export interface Tracing {
  /**
   * True while no trace can be active (no SDK registered): a message then
   * leaves without calling {@link outgoing} at all. Read on every send, so an
   * implementation keeps it a plain property, and true only as long as it is
   * sure (`openTelemetry()` looks again on the next turn of the event loop).
   */
  readonly dormant?: boolean
  /**
   * A message leaves for `to`: the span for it, child of the active span, or
   * undefined when there is no active trace (then the message carries nothing).
   * `fanOut`: the broadcast or askAll it is part of, to link to.
   */
  outgoing(kind: 'send' | 'ask', to: Address, fanOut: FanOutSpan | undefined): OutgoingSpan | undefined
  /**
   * Runs `handle` (the handler of a message that carried `context`) in a span
   * that is the child of the sender's, ended when the handler is done (when
   * the promise it returns settles).
   */
  incoming<T>(kind: 'send' | 'ask', to: Address, context: string, handle: () => T): T
  /** A group sends to all its members: the span the messages link to, or undefined without an active trace. */
  fanOut(kind: 'broadcast' | 'askAll', group: string): FanOutSpan | undefined
}
