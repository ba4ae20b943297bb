import { EventEmitter } from 'eventemitter3'
import { nanoid } from 'nanoid'
import { ActorCell, type ActorErrorEvent } from './actor/actorCell.js'
import type { ActorHost } from './actor/actorHost.js'
import { type ActorRef, type AskOptions, Ref, type SendOptions } from './actor/actorRef.js'
import { PendingAsks } from './actor/asks.js'
import type { BehaviorSource } from './actor/behavior.js'
import { DEAD_LETTER_REASONS, type DeadLetter, type DeadLetterReason } from './actor/deadLetter.js'
import type { Letter } from './actor/letter.js'
import type { SpawnOptions } from './actor/spawnOptions.js'
import { type Address, assertActorName, assertNodeId, parseAddress } from './address.js'
import { type Clock, realClock } from './clock.js'
import { DEFAULTS } from './defaults.js'
import { TroupeError, type TroupeErrorCode } from './errors.js'
import { reportUnhandled } from './host.js'
import { assertPositiveInteger, assertPositiveNumber } from './validate.js'

/** Options of {@link createNode}. */
export interface NodeOptions {
  /** This node's id, the part after `@` in its actors' addresses. @default a random nanoid */
  id?: string
  /** Injected for tests. @default the real clock */
  clock?: Clock
  /** Default `timeoutMs` of `ask`. @default 5_000 */
  askTimeoutMs?: number
  /** Messages one actor handles before letting the host's event loop run. @default 1_024 */
  throughput?: number
}

/** The events a node emits, with their listeners' signatures. */
export interface NodeEvents {
  /** A message that was not delivered, with the reason. */
  deadletter: (deadLetter: DeadLetter) => void
  /** An actor's handler or hook threw; `action` says what supervision did. */
  'actor-error': (event: ActorErrorEvent) => void
}

/** Counters of a node, for monitoring. */
export interface NodeMetrics {
  /** Actors alive on this node. */
  actors: number
  /** Asks waiting for a reply. */
  pendingAsks: number
  /** Messages queued into local mailboxes. */
  delivered: number
  /** Dead letters on this node, by reason. */
  deadLetters: Record<DeadLetterReason, number>
}

/**
 * A node: a home for actors and this process's (or tab's) member of a cluster.
 * Made by {@link createNode}.
 */
export interface Node extends Pick<EventEmitter<NodeEvents>, 'on' | 'once' | 'off'> {
  readonly id: string
  /**
   * Starts an actor named `name` on this node. Throws `DUPLICATE_NAME` if an
   * actor of that name is alive, `BAD_ADDRESS` for a malformed name.
   */
  spawn<TMessage = unknown, TReply = unknown>(
    name: string,
    behavior: BehaviorSource<TMessage, TReply>,
    options?: SpawnOptions,
  ): ActorRef<TMessage, TReply>
  /** A ref to the actor at `address` (which need not exist yet). Throws `BAD_ADDRESS`. */
  ref<TMessage = unknown, TReply = unknown>(address: Address): ActorRef<TMessage, TReply>
  /**
   * Fire and forget to an address or ref. Throws only for a malformed address;
   * undeliverable messages become dead letters. See {@link ActorRef.send}.
   */
  send(target: Address | ActorRef, message: unknown, options?: SendOptions): boolean
  /**
   * Sends and resolves with the reply. Rejects with a {@link TroupeError}:
   * `ASK_TIMEOUT`, `NO_SUCH_ACTOR`, `QUEUE_FULL`, `HANDLER_ERROR`, `CLOSED`, ...
   */
  ask<TReply = unknown>(target: Address | ActorRef, message: unknown, options?: AskOptions): Promise<TReply>
  /** Stops a local actor and its children; resolves when its `stopped` hook has run. */
  stop(target: Address | ActorRef): Promise<void>
  metrics(): NodeMetrics
  /** Stops every actor (their `stopped` hooks run) and rejects pending asks. Idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

const REF_CACHE_SIZE = 4_096

const CODE_OF: Record<DeadLetterReason, TroupeErrorCode> = {
  'no-such-actor': 'NO_SUCH_ACTOR',
  'queue-full': 'QUEUE_FULL',
  rejected: 'UNAUTHORIZED',
  stopped: 'CLOSED',
  'ttl-expired': 'UNDELIVERABLE',
  'node-down': 'UNDELIVERABLE',
  'no-reply-target': 'UNDELIVERABLE',
}

/** @internal */
export class TroupeNode extends EventEmitter<NodeEvents> implements Node, ActorHost {
  readonly id: string
  readonly clock: Clock
  readonly throughput: number
  private readonly askTimeoutMs: number
  private readonly cells = new Map<string, ActorCell>()
  private readonly refs = new Map<Address, Ref>()
  private readonly asks: PendingAsks
  private delivered = 0
  private readonly deadLetters = Object.fromEntries(DEAD_LETTER_REASONS.map((r) => [r, 0])) as Record<
    DeadLetterReason,
    number
  >
  private closed = false
  private closing: Promise<void> | undefined

  constructor(options: NodeOptions = {}) {
    super()
    this.id = options.id ?? nanoid()
    assertNodeId(this.id)
    this.clock = options.clock ?? realClock
    this.askTimeoutMs = options.askTimeoutMs ?? DEFAULTS.askTimeoutMs
    assertPositiveNumber('askTimeoutMs', this.askTimeoutMs)
    this.throughput = options.throughput ?? DEFAULTS.throughput
    assertPositiveInteger('throughput', this.throughput)
    this.asks = new PendingAsks(this.clock)
  }

  spawn<M, R>(
    name: string,
    behavior: BehaviorSource<M, R>,
    options?: SpawnOptions,
    parent?: ActorCell,
  ): ActorRef<M, R> {
    if (this.closing !== undefined)
      throw new TroupeError('CLOSED', `cannot spawn "${name}": node "${this.id}" is closed`)
    if (parent !== undefined && name.includes('/')) {
      throw new TroupeError('BAD_ADDRESS', `bad child name ${JSON.stringify(name)}: "/" is not allowed`)
    }
    const fullName = parent === undefined ? name : `${parent.name}/${name}`
    assertActorName(fullName)
    if (this.cells.has(fullName)) {
      throw new TroupeError(
        'DUPLICATE_NAME',
        `an actor named "${fullName}" is already running on node "${this.id}"`,
      )
    }
    assertBehavior(fullName, behavior)
    assertSpawnOptions(options)
    const cell = new ActorCell(this, fullName, behavior as BehaviorSource, options, parent)
    this.cells.set(fullName, cell)
    parent?.children.add(cell)
    return cell.ref as ActorRef<M, R>
  }

  ref<M, R>(address: Address): ActorRef<M, R> {
    const { name, node } = parseAddress(address)
    return new Ref(this, address, name, node) as ActorRef<M, R>
  }

  send(target: Address | ActorRef, message: unknown, options?: SendOptions, from?: Address): boolean {
    const ref = this.resolve(target)
    return this.route(ref, { to: ref.address, from, message, askId: 0, askNode: undefined }, options)
  }

  ask<R>(target: Address | ActorRef, message: unknown, options?: AskOptions, from?: Address): Promise<R> {
    const ref = this.resolve(target)
    const timeoutMs = options?.timeoutMs ?? this.askTimeoutMs
    assertPositiveNumber('timeoutMs', timeoutMs)
    const { id, promise } = this.asks.open<R>(ref.address, timeoutMs)
    this.route(ref, { to: ref.address, from, message, askId: id, askNode: this.id }, options)
    return promise
  }

  async stop(target: Address | ActorRef): Promise<void> {
    const ref = this.resolve(target)
    if (ref.nodeId !== this.id) {
      throw new TroupeError('BAD_ADDRESS', `cannot stop "${ref.address}": it is not on node "${this.id}"`)
    }
    await this.cells.get(ref.name)?.stop()
  }

  reply(letter: Letter | undefined, value: unknown, from: Address): void {
    if (letter !== undefined && letter.askId !== 0) {
      if (!this.asks.settle(letter.askId, value)) {
        this.deadLetter(replyLetter(letter.askNode ?? this.id, from, value), 'no-reply-target')
      }
    } else if (letter?.from !== undefined) {
      this.send(letter.from, value, undefined, from)
    } else {
      this.deadLetter(replyLetter(this.id, from, value), 'no-reply-target')
    }
  }

  failAsk(letter: Letter, error: unknown): void {
    const text = error instanceof Error ? error.message : String(error)
    this.asks.fail(
      letter.askId,
      new TroupeError('HANDLER_ERROR', `the handler of "${letter.to}" failed: ${text}`, { cause: error }),
    )
  }

  deadLetter(letter: Letter, reason: DeadLetterReason): void {
    this.deadLetters[reason]++
    if (letter.askId !== 0 && letter.askNode === this.id) {
      this.asks.fail(
        letter.askId,
        new TroupeError(CODE_OF[reason], `message to "${letter.to}" was not delivered: ${reason}`, {
          reason,
        }),
      )
    }
    this.emit('deadletter', { to: letter.to, from: letter.from, message: letter.message, reason })
  }

  actorError(event: ActorErrorEvent): void {
    if (this.listenerCount('actor-error') === 0) {
      reportUnhandled(
        `[troupe] actor "${event.address}" failed in ${event.phase} (${event.action}):`,
        event.error,
      )
    }
    this.emit('actor-error', event)
  }

  unregister(cell: ActorCell): void {
    if (this.cells.get(cell.name) === cell) this.cells.delete(cell.name)
    cell.parent?.children.delete(cell)
  }

  metrics(): NodeMetrics {
    return {
      actors: this.cells.size,
      pendingAsks: this.asks.size,
      delivered: this.delivered,
      deadLetters: { ...this.deadLetters },
    }
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown()
    return this.closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  private async shutdown(): Promise<void> {
    const closedError = () => new TroupeError('CLOSED', `node "${this.id}" closed`)
    this.asks.failAll(closedError())
    const topLevel = [...this.cells.values()].filter((cell) => cell.parent === undefined)
    await Promise.all(topLevel.map((cell) => cell.stop()))
    this.closed = true
    this.asks.failAll(closedError())
  }

  private resolve(target: Address | ActorRef): Ref {
    if (target instanceof Ref) return target
    const address = typeof target === 'string' ? target : target?.address
    let ref = this.refs.get(address)
    if (ref === undefined) {
      const { name, node } = parseAddress(address)
      ref = new Ref(this, address, name, node)
      // a bounded cache: addresses seen recently skip parsing and validation
      if (this.refs.size >= REF_CACHE_SIZE) this.refs.clear()
      this.refs.set(address, ref)
    }
    return ref
  }

  /** Local: straight to the mailbox. Remote: needs a cluster, which a standalone node has not. */
  private route(ref: Ref, letter: Letter, _options: SendOptions | undefined): boolean {
    if (this.closed) {
      this.deadLetter(letter, 'stopped')
      return false
    }
    if (ref.nodeId !== this.id) {
      this.deadLetter(letter, 'node-down')
      return false
    }
    let cell = ref.cell
    if (cell === undefined || cell.isStopped) cell = this.cells.get(ref.name)
    if (cell === undefined) {
      this.deadLetter(letter, 'no-such-actor')
      return false
    }
    if (!cell.enqueue(letter)) return false
    this.delivered++
    return true
  }
}

const replyLetter = (node: string, from: Address, value: unknown): Letter => ({
  to: `$reply@${node}`,
  from,
  message: value,
  askId: 0,
  askNode: undefined,
})

function assertBehavior(name: string, behavior: unknown): void {
  if (typeof behavior === 'function') return
  if (typeof (behavior as { receive?: unknown } | null)?.receive !== 'function') {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad behavior for "${name}": expected an object with a receive(message, ctx) method, or a function returning one`,
    )
  }
}

function assertSpawnOptions(options: SpawnOptions | undefined): void {
  if (options?.mailbox?.capacity !== undefined)
    assertPositiveInteger('mailbox.capacity', options.mailbox.capacity)
  const supervision = options?.supervision
  if (supervision === undefined) return
  const { strategy, maxRestarts, withinMs } = supervision
  if (strategy !== undefined && strategy !== 'restart' && strategy !== 'resume' && strategy !== 'stop') {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad supervision.strategy ${JSON.stringify(strategy)}: use "restart", "resume" or "stop"`,
    )
  }
  if (maxRestarts !== undefined && !(Number.isInteger(maxRestarts) && maxRestarts >= 0)) {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad supervision.maxRestarts ${maxRestarts}: expected an integer >= 0`,
    )
  }
  if (withinMs !== undefined) assertPositiveNumber('supervision.withinMs', withinMs)
}

/**
 * Starts a node. Without a transport it is standalone: its actors message each
 * other; cluster transports come from `@troupe/node` and `@troupe/browser`.
 *
 * @example
 * ```ts
 * const node = await createNode({ id: 'n1' })
 * node.spawn('echo', { receive(msg, ctx) { ctx.reply(msg) } })
 * console.log(await node.ask('echo@n1', 'hi')) // 'hi'
 * await node.close()
 * ```
 */
export async function createNode(options: NodeOptions = {}): Promise<Node> {
  return new TroupeNode(options)
}
