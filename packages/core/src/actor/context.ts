import type { Address } from '../address.js'
import type { Terminated } from '../node/deathWatch.js'
import type { ActorCell } from './actorCell.js'
import type { ActorRef, AskOptions, SendOptions } from './actorRef.js'
import type { Behavior, BehaviorSource } from './behavior.js'
import type { Letter } from './letter.js'
import type { AnyRef } from './protocol.js'
import type { SpawnOptions } from './spawnOptions.js'

/**
 * What a handler can do while it handles one message (or runs a lifecycle hook).
 */
export interface ActorContext<TMessage = unknown, TReply = unknown> {
  /** This actor. */
  readonly self: ActorRef<TMessage, TReply>
  /**
   * The actor that sent the current message, if an actor sent it. What it
   * takes is not known here: answer with `reply`, or put a typed ref in the
   * message to talk back with types.
   */
  readonly sender: AnyRef | undefined
  /**
   * Answers the current message: resolves the caller's `ask`, or, for a plain
   * send from an actor, sends `value` to that actor. With nobody to answer, the
   * reply becomes a `no-reply-target` dead letter.
   */
  reply(value: TReply): void
  /** Sends with this actor as the sender, so the target can `reply`: typed by the ref, untyped by address. */
  send<M>(target: ActorRef<M, unknown>, message: NoInfer<M>, options?: SendOptions): boolean
  send(target: Address, message: unknown, options?: SendOptions): boolean
  /** Asks another actor; the reply (of the ref's type) comes back to this handler as a promise. */
  ask<M, R>(target: ActorRef<M, R>, message: NoInfer<M>, options?: AskOptions): Promise<R>
  ask(target: Address, message: unknown, options?: AskOptions): Promise<unknown>
  /** Spawns a child named `<self>/<name>`; children stop when this actor stops or restarts. */
  spawn<M = unknown, R = unknown>(
    name: string,
    behavior: BehaviorSource<M, R>,
    options?: SpawnOptions,
  ): ActorRef<M, R>
  /** Stops this actor once the current message is handled. */
  stop(): void
  /** Handles the following messages with `behavior` (until the next restart). */
  become(behavior: Behavior<TMessage, TReply>): void
  /** Joins group `name` (see `node.group`); the actor leaves its groups when it stops. */
  join(group: string): void
  /** Leaves group `name`. */
  leave(group: string): void
  /**
   * Watches `ref`: this actor is sent a {@link Terminated} message
   * (`{ type: 'terminated', ref, reason }`) once, when `ref` stops, its node
   * goes down or leaves, or straight away if there is no such actor.
   */
  watch(ref: AnyRef): void
  /** Stops watching `ref`. */
  unwatch(ref: AnyRef): void
}

/** @internal */
export class Context implements ActorContext {
  constructor(
    private readonly cell: ActorCell,
    private readonly letter: Letter | undefined,
  ) {}

  get self(): ActorRef {
    return this.cell.ref
  }

  get sender(): AnyRef | undefined {
    const from = this.letter?.from
    return from === undefined ? undefined : this.cell.host.ref(from)
  }

  reply(value: unknown): void {
    this.cell.host.reply(this.letter, value, this.cell.address)
  }

  send(target: Address | AnyRef, message: unknown, options?: SendOptions): boolean {
    return this.cell.host.send(target, message, options, this.cell.address)
  }

  ask(target: Address | AnyRef, message: unknown, options?: AskOptions): Promise<unknown> {
    return this.cell.host.ask(target, message, options, this.cell.address)
  }

  spawn<M, R>(name: string, behavior: BehaviorSource<M, R>, options?: SpawnOptions): ActorRef<M, R> {
    return this.cell.host.spawn(name, behavior, options, this.cell)
  }

  stop(): void {
    void this.cell.stop()
  }

  become(behavior: Behavior): void {
    this.cell.become(behavior)
  }

  join(group: string): void {
    this.cell.host.join(group, this.cell.ref)
  }

  leave(group: string): void {
    this.cell.host.leave(group, this.cell.ref)
  }

  watch(ref: AnyRef): void {
    this.cell.host.watch(this.cell.address, ref)
  }

  unwatch(ref: AnyRef): void {
    this.cell.host.unwatch(this.cell.address, ref)
  }
}
