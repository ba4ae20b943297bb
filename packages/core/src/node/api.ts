import type { EventEmitter } from 'eventemitter3'
import type { ActorErrorEvent } from '../actor/actorCell.js'
import type { ActorRef, AskOptions, SendOptions } from '../actor/actorRef.js'
import type { BehaviorSource } from '../actor/behavior.js'
import type { DeadLetter, DeadLetterReason } from '../actor/deadLetter.js'
import type { AnyRef, MessageTo, Protocol, RefTo, ReplyFrom, Untyped } from '../actor/protocol.js'
import type { SpawnOptions } from '../actor/spawnOptions.js'
import type { Address } from '../address.js'
import type { ConnectionState } from '../cluster/clientConnector.js'
import type { Member } from '../cluster/membership.js'
import type { DeliveryMetrics } from '../delivery/types.js'
import type { TroupeErrorCode } from '../errors.js'
import type { CircuitMetrics } from '../groups/circuitBreakers.js'
import type { Group, GroupOptions } from '../groups/group.js'
import type { LinkMetrics } from '../link/peerLink.js'
import type { EntityMetrics } from '../placement/entityHost.js'
import type { DefineOptions, EntityFactory } from '../placement/entityTypes.js'

/** The events a node emits, with their listeners' signatures. */
export interface NodeEvents {
  /** A message that was not delivered, with the reason. */
  deadletter: (deadLetter: DeadLetter) => void
  /** An actor's handler or hook threw; `action` says what supervision did. */
  'actor-error': (event: ActorErrorEvent) => void
  /** A member joined, came back, or restarted (new incarnation). */
  'member-up': (member: Member) => void
  /** A member stopped answering (failure detector). */
  'member-down': (member: Member) => void
  /** A member closed on purpose. */
  'member-left': (member: Member) => void
  /** This node's link to the cluster changed: a client's `'connecting' | 'online' | 'offline' | 'refused'`. */
  connection: (state: ConnectionState) => void
  /** An ask of this node ended: answered (`'ok'`), or the code it failed with; how long it took. */
  'ask-settled': (event: AskSettled) => void
  /** `close()` was called: the node is on its way out. */
  closing: () => void
}

/** How one ask ended (the `ask-settled` event). */
export interface AskSettled {
  readonly outcome: 'ok' | TroupeErrorCode
  /** From the ask to its end, on the node's clock. */
  readonly durationMs: number
}

/** Counters of a node, for monitoring. */
export interface NodeMetrics extends DeliveryMetrics {
  /** Actors alive on this node. */
  actors: number
  /** Messages waiting in all local mailboxes, and in the fullest one. */
  mailboxes: { queued: number; maxQueued: number }
  /** Asks waiting for a reply. */
  pendingAsks: number
  /** Messages queued into local mailboxes. */
  delivered: number
  /** Dead letters on this node, by reason. */
  deadLetters: Record<DeadLetterReason, number>
  /** Envelopes this hub passed on between other nodes. */
  relayed: number
  /** Clients connected to this hub. */
  clients: number
  /** Per-peer link figures, by node id. */
  peers: Record<string, LinkMetrics>
  /** The entities this node hosts. */
  entities: EntityMetrics
  /** The groups this node knows (a client: those it watches), with their members up; the first 100 by name. */
  groups: Record<string, number>
  /** The circuit breakers of the nodes this node asks that have failed lately, by node id. */
  circuits: Record<string, CircuitMetrics>
}

/**
 * A node: a home for actors and this process's (or tab's) member of a cluster.
 * Made by {@link createNode}.
 */
export interface Node<P extends Protocol = Untyped>
  extends Pick<EventEmitter<NodeEvents>, 'on' | 'once' | 'off'> {
  readonly id: string
  /** The URL peers dial to reach this node, if it listens. */
  readonly url: string | undefined
  /** `running`, then `closing` from the call to `close()` until it resolves, then `closed`. */
  readonly state: 'running' | 'closing' | 'closed'
  /** The member table: this node first, then every member it knows (a client knows its hubs and the nodes it talks to). */
  members(): Member[]
  /** `online` once linked to a hub (hubs are always online), `connecting` while dialing, `offline` while the browser is, `refused` after a hub refused it. */
  readonly connectionState: ConnectionState
  /**
   * Resolves when the messages queued for `target` (a node id or an address)
   * are below half the high-water mark. Use after `send` returned false.
   */
  drain(target: string | AnyRef): Promise<void>
  /**
   * Starts an actor named `name` on this node. Throws `DUPLICATE_NAME` if an
   * actor of that name is alive, `BAD_ADDRESS` for a malformed name.
   */
  spawn<TMessage = unknown, TReply = unknown>(
    name: string,
    behavior: BehaviorSource<TMessage, TReply>,
    options?: SpawnOptions,
  ): ActorRef<TMessage, TReply>
  /**
   * A ref to the actor at `address` (which need not exist yet), typed by this
   * node's {@link Protocol} (untyped for names it does not list). Throws `BAD_ADDRESS`.
   */
  ref<TAddress extends string>(address: TAddress): RefTo<P, TAddress>
  /**
   * Fire and forget, to a ref (typed by the ref) or an address (typed by this
   * node's protocol). Throws for what the caller got wrong (`BAD_ADDRESS`,
   * `BAD_ARGUMENT`, `UNENCODABLE`); undeliverable messages become dead
   * letters. See {@link ActorRef.send}.
   */
  send<M>(target: ActorRef<M, unknown>, message: NoInfer<M>, options?: SendOptions): boolean
  send<TAddress extends string>(
    target: TAddress,
    message: MessageTo<P, TAddress>,
    options?: SendOptions,
  ): boolean
  /**
   * Sends and resolves with the reply, of the ref's (or the protocol's) reply
   * type. Rejects with a {@link TroupeError}: `ASK_TIMEOUT`, `NO_SUCH_ACTOR`,
   * `NODE_DOWN`, `NO_SUCH_NODE`, `QUEUE_FULL`, `HANDLER_ERROR`, `CLOSED`, ...
   */
  ask<M, R>(target: ActorRef<M, R>, message: NoInfer<M>, options?: AskOptions): Promise<R>
  ask<TAddress extends string>(
    target: TAddress,
    message: MessageTo<P, TAddress>,
    options?: AskOptions,
  ): Promise<ReplyFrom<P, TAddress>>
  /**
   * Hosts entities (virtual actors) of `kind` on this node: `factory` makes
   * the behavior of one entity from its key, once per activation. Every node
   * that may host the kind defines it; the cluster places each key on one of
   * them (rendezvous hashing over the members up that define it), activates it
   * on its first message and passivates it after `idleMs` without one. Needs
   * `createNode({ storage })`. Throws `DUPLICATE_NAME` for a kind defined
   * already, `BAD_ARGUMENT` for a bad kind or no storage.
   *
   * @example
   * ```ts
   * import { createNode, memoryStorage } from '@troupe/core'
   *
   * const node = await createNode({ id: 'h1', storage: memoryStorage() })
   * node.define('counter', () => ({
   *   receive(_msg: 'inc', ctx) {
   *     const n = ((ctx.state.n as number | undefined) ?? 0) + 1
   *     ctx.state.n = n
   *     ctx.reply(n)
   *   },
   * }))
   * const counter = node.entity<'inc', number>('counter', 'user-42')
   * console.log(await counter.ask('inc')) // 1, then 2, ... wherever it lives
   * await node.close()
   * ```
   */
  define<TMessage = unknown, TReply = unknown, TState extends object = Record<string, unknown>>(
    kind: string,
    factory: EntityFactory<TMessage, TReply, TState>,
    options?: DefineOptions,
  ): void
  /**
   * A ref to the entity `key` of `kind`, from any node (one that hosts nothing
   * and has no storage included). Its messages go to wherever the entity lives,
   * and follow it when its node dies. An ask to a kind nobody hosts rejects
   * with `NO_SUCH_KIND`.
   */
  entity<TMessage = unknown, TReply = unknown>(kind: string, key: string): ActorRef<TMessage, TReply>
  /**
   * The group `name`: its members anywhere in the cluster, reached by one
   * (`send`, `ask`, picked by `options.strategy`), by all (`broadcast`,
   * `askAll`). Works from any node, a tab included. Throws `BAD_ADDRESS` for a
   * bad name, `BAD_ARGUMENT` for a bad strategy.
   *
   * @example
   * ```ts
   * import { createNode } from '@troupe/core'
   *
   * const node = await createNode({ id: 'n1' })
   * node.spawn('w1', { started: (ctx) => ctx.join('workers'), receive: (job: number, ctx) => ctx.reply(job * 2) })
   * const workers = node.group<number, number>('workers')
   * console.log(await workers.ask(21)) // 42
   * ```
   */
  group<TMessage = unknown, TReply = unknown>(
    name: string,
    options?: GroupOptions<TMessage>,
  ): Group<TMessage, TReply>
  /** Adds local actor `ref` to group `name` (as `ctx.join` does from inside it); it leaves when it stops. */
  join(group: string, ref: AnyRef): void
  /** Takes local actor `ref` out of group `name`. */
  leave(group: string, ref: AnyRef): void
  /** Stops a local actor and its children; resolves when its `stopped` hook has run. */
  stop(target: Address | AnyRef): Promise<void>
  /**
   * Resolves once this node has joined the cluster: a client is linked to a
   * hub, a hub to a hub of the cluster (at once without seeds, or without a
   * cluster). Rejects with `CONNECTION` after `timeoutMs` (default
   * `handshakeTimeoutMs`), or as soon as the hubs refuse this node, naming
   * every URL tried and why it failed.
   */
  joined(options?: { timeoutMs?: number }): Promise<void>
  /** After a hub refused this client (`connectionState` is `'refused'`): dial again, with a new token perhaps. */
  reconnect(): void
  metrics(): NodeMetrics
  /** Stops every actor (their `stopped` hooks run) and rejects pending asks. Idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}
