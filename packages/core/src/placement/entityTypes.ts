import type { ActorRef, AskOptions, SendOptions } from '../actor/actorRef.js'
import type { AnyRef } from '../actor/protocol.js'
import type { Address } from '../address.js'

/**
 * What an entity's handler can do with the message it handles: like an
 * actor's context, plus `state`, which the runtime saves after a handler that
 * changed it, before its reply leaves.
 */
export interface EntityContext<
  TMessage = unknown,
  TReply = unknown,
  TState extends object = Record<string, unknown>,
> {
  /** This entity's kind and key. */
  readonly kind: string
  readonly key: string
  /** A ref to this entity (wherever it lives next). */
  readonly self: ActorRef<TMessage, TReply>
  /**
   * The entity's state: a plain object of sendable values, as last saved.
   * Change it in place; after the handler it is saved (if it changed) before
   * the reply is sent. A handler that fails leaves it as it was.
   */
  readonly state: TState
  /** Answers the current message, once the state is saved. */
  reply(value: TReply): void
  /** Sends with this entity as the sender (typed by the ref, untyped by address). */
  send<M>(target: ActorRef<M, unknown>, message: NoInfer<M>, options?: SendOptions): boolean
  send(target: Address, message: unknown, options?: SendOptions): boolean
  /** Asks another actor or entity. */
  ask<M, R>(target: ActorRef<M, R>, message: NoInfer<M>, options?: AskOptions): Promise<R>
  ask(target: Address, message: unknown, options?: AskOptions): Promise<unknown>
  /** The actor that sent the current message, if an actor sent it. */
  readonly sender: AnyRef | undefined
}

/** What an entity does: `receive` handles one message at a time, like an actor's. */
export interface EntityBehavior<
  TMessage = unknown,
  TReply = unknown,
  TState extends object = Record<string, unknown>,
> {
  receive(message: TMessage, ctx: EntityContext<TMessage, TReply, TState>): void | Promise<void>
  /** Runs when the entity is activated (its state loaded), and after each restart. */
  started?(ctx: EntityContext<TMessage, TReply, TState>): void | Promise<void>
  /** Runs when the entity is passivated (idle, or moved to another node), or stops. */
  stopped?(ctx: EntityContext<TMessage, TReply, TState>): void | Promise<void>
}

/** Makes the behavior of one entity, from its key: called once per activation (and per restart). */
export type EntityFactory<
  TMessage = unknown,
  TReply = unknown,
  TState extends object = Record<string, unknown>,
> = (key: string) => EntityBehavior<TMessage, TReply, TState>

/** Options of `node.define`. */
export interface DefineOptions {
  /** An entity without messages for this long is passivated (its lease released). @default 60_000 */
  idleMs?: number
  /**
   * On a hub: tabs (clients) may host this kind too, if they define it with
   * `clients: true`. On a tab: this tab offers to host it. @default false
   */
  clients?: boolean
}
