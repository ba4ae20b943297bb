import type { Address } from '../address.js'
import { REF_ADDRESS } from '../wire/values.js'
import type { ActorCell } from './actorCell.js'
import type { ActorHost } from './actorHost.js'

/** Options of a fire-and-forget send. */
export interface SendOptions {
  /**
   * How long the message may wait for an unreachable node before it becomes a
   * `ttl-expired` dead letter. @default 10_000 (the node's `holdTtlMs`)
   */
  ttlMs?: number
}

/** Options of an ask. */
export interface AskOptions extends SendOptions {
  /** How long to wait for the reply. @default 5_000 */
  timeoutMs?: number
  /**
   * Wait for a node that is down or unknown (until the timeout), rather than
   * failing fast with `NODE_DOWN` or `NO_SUCH_NODE`. @default false
   */
  waitForNode?: boolean
}

/**
 * A handle to an actor, local or remote, typed by what it takes and answers.
 * Cheap to make; safe to keep after the actor stops (messages then become
 * dead letters). A ref that takes more (`ActorRef<unknown>`) can stand where
 * one that takes less is expected, never the other way; the reply type is the
 * ref's, not the caller's.
 */
export interface ActorRef<in TMessage = unknown, out TReply = unknown> {
  /** `name@nodeId`. */
  readonly address: Address
  readonly name: string
  readonly nodeId: string
  /**
   * Fire and forget. Never throws for delivery problems: an undeliverable
   * message becomes a dead letter. Returns false when the sender should slow
   * down: the message could not be queued, or was queued above a high-water mark.
   */
  send(message: TMessage, options?: SendOptions): boolean
  /** Sends and waits for the handler's `ctx.reply(value)`. */
  ask(message: TMessage, options?: AskOptions): Promise<TReply>
}

/** @internal */
export class Ref implements ActorRef {
  /** The local actor behind this ref, cached to skip the name lookup on send. */
  cell: ActorCell | undefined

  constructor(
    private readonly host: ActorHost,
    readonly address: Address,
    readonly name: string,
    readonly nodeId: string,
  ) {}

  send(message: unknown, options?: SendOptions): boolean {
    return this.host.send(this, message, options, undefined)
  }

  ask(message: unknown, options?: AskOptions): Promise<unknown> {
    return this.host.ask(this, message, options, undefined)
  }

  get [REF_ADDRESS](): string {
    return this.address
  }

  toString(): string {
    return this.address
  }

  toJSON(): string {
    return this.address
  }
}
