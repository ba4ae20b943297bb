import type { Address } from '../address.js'
import type { Clock } from '../clock.js'
import type { Tracing } from '../tracing/tracing.js'
import type { ActorCell, ActorErrorEvent } from './actorCell.js'
import type { ActorRef, AskOptions, SendOptions } from './actorRef.js'
import type { BehaviorSource } from './behavior.js'
import type { DeadLetterReason } from './deadLetter.js'
import type { Letter } from './letter.js'
import type { AnyRef } from './protocol.js'
import type { SpawnOptions } from './spawnOptions.js'

/**
 * What an actor needs from the node it lives on.
 * @internal
 */
export interface ActorHost {
  readonly id: string
  readonly clock: Clock
  readonly throughput: number
  /** Traces messages, when the node was given a `Tracing`. */
  readonly tracing: Tracing | undefined
  ref(address: Address): AnyRef
  send(
    target: Address | AnyRef,
    message: unknown,
    options: SendOptions | undefined,
    from: Address | undefined,
  ): boolean
  ask(
    target: Address | AnyRef,
    message: unknown,
    options: AskOptions | undefined,
    from: Address | undefined,
  ): Promise<unknown>
  spawn<M, R>(
    name: string,
    behavior: BehaviorSource<M, R>,
    options: SpawnOptions | undefined,
    parent: ActorCell | undefined,
  ): ActorRef<M, R>
  reply(letter: Letter | undefined, value: unknown, from: Address): void
  /** Tells the asker that the handler of its message failed. */
  failAsk(letter: Letter, error: unknown): void
  deadLetter(letter: Letter, reason: DeadLetterReason, detail?: string): void
  actorError(event: ActorErrorEvent): void
  unregister(cell: ActorCell): void
  join(group: string, ref: AnyRef): void
  leave(group: string, ref: AnyRef): void
  watch(watcher: Address, target: AnyRef): void
  unwatch(watcher: Address, target: AnyRef): void
}
