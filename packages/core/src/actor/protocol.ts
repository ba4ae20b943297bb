import type { ActorRef } from './actorRef.js'

/**
 * What an actor takes and answers: the type of one entry of a {@link Protocol}.
 * An actor that never answers has `TReply` `never`.
 */
export interface ActorType<TMessage = unknown, TReply = unknown> {
  readonly message: TMessage
  readonly reply: TReply
}

/**
 * Actor names to what they take and answer, for addressing actors by name
 * with types, without casts: give it to `createNode<P>()`, and
 * `node.ref('printer@n2')`, `node.send('printer@n2', msg)` and
 * `node.ask('printer@n2', msg)` are typed by `P['printer']`. Names a protocol
 * does not list are untyped (messages and replies `unknown`).
 *
 * @example
 * ```ts
 * import { type ActorType, createNode } from '@troupe/core'
 *
 * interface Chat {
 *   room: ActorType<{ say: string } | { join: string }, number>
 * }
 * const node = await createNode<Chat>({ id: 'n1' })
 * node.spawn('room', { receive: (_msg: Chat['room']['message'], ctx) => ctx.reply(1) })
 * const members: number = await node.ask('room@n1', { join: 'ada' })
 * await node.close()
 * ```
 */
export type Protocol = object

/** The protocol of a node made without one: every name untyped. */
export interface Untyped {
  readonly [name: string]: ActorType
}

/** The actor name of an address type (`'printer'` of `'printer@n2'`); `never` for a plain `string`. */
export type NameOf<TAddress extends string> = TAddress extends `${infer Name}@${string}` ? Name : never

/** The entry of protocol `P` for the actor at `TAddress`: untyped when its name is not in `P`, or the address is a plain `string`. */
export type EntryFor<P, TAddress extends string> = string extends TAddress
  ? ActorType
  : NameOf<TAddress> extends keyof P
    ? P[NameOf<TAddress>] extends ActorType
      ? P[NameOf<TAddress>]
      : ActorType
    : ActorType

/** What the actor at `TAddress` takes, by protocol `P`. */
export type MessageTo<P, TAddress extends string> = EntryFor<P, TAddress>['message']

/** What the actor at `TAddress` answers, by protocol `P`. */
export type ReplyFrom<P, TAddress extends string> = EntryFor<P, TAddress>['reply']

/** A ref to the actor at `TAddress`, typed by protocol `P`. */
export type RefTo<P, TAddress extends string> = ActorRef<MessageTo<P, TAddress>, ReplyFrom<P, TAddress>>

/** A ref whatever it takes and answers (every typed ref is one). */
export type AnyRef = ActorRef<never, unknown>
