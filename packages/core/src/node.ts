import { EventEmitter } from 'eventemitter3'
import { nanoid } from 'nanoid'
import { ActorCell, type ActorErrorEvent } from './actor/actorCell.js'
import type { ActorHost } from './actor/actorHost.js'
import { type ActorRef, type AskOptions, Ref, type SendOptions } from './actor/actorRef.js'
import { PendingAsks } from './actor/asks.js'
import type { BehaviorSource } from './actor/behavior.js'
import { DEAD_LETTER_REASONS, type DeadLetter, type DeadLetterReason } from './actor/deadLetter.js'
import type { Letter } from './actor/letter.js'
import { assertBehavior, assertSpawnOptions, type SpawnOptions } from './actor/spawnOptions.js'
import { type Address, assertActorName, assertNodeId, parseAddress } from './address.js'
import { type Clock, realClock } from './clock.js'
import { Cluster, type ConnectionState, type RouteResult, targetOf } from './cluster/cluster.js'
import type { Member, MemberEventName } from './cluster/membership.js'
import { DEFAULTS } from './defaults.js'
import { TroupeError, type TroupeErrorCode } from './errors.js'
import { reportUnhandled, yieldToHost } from './host.js'
import type { LinkMetrics, Refusal } from './link/peerLink.js'
import { clusterSettings, type NodeOptions } from './nodeOptions.js'
import { assertPositiveInteger, assertPositiveNumber } from './validate.js'
import { FrameCodec } from './wire/codec.js'
import type { SequencedEnvelope } from './wire/envelope.js'

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
  /** This node's link to the cluster changed: a client tab's `'connecting' | 'online' | 'offline'`. */
  connection: (state: ConnectionState) => void
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
  /** Messages waiting for a node with no route yet. */
  held: number
  /** Per-peer link figures, by node id. */
  peers: Record<string, LinkMetrics>
}

/**
 * A node: a home for actors and this process's (or tab's) member of a cluster.
 * Made by {@link createNode}.
 */
export interface Node extends Pick<EventEmitter<NodeEvents>, 'on' | 'once' | 'off'> {
  readonly id: string
  /** The URL peers dial to reach this node, if it listens. */
  readonly url: string | undefined
  /** The member table: this node first, then every member it knows. */
  members(): Member[]
  /** `online` once linked to a hub (hubs are always online), `connecting` while dialing, `offline` while the browser is. */
  readonly connectionState: ConnectionState
  /**
   * Resolves when the link carrying messages to `target` (a node id or an
   * address) is below its low-water mark. Use after `send` returned false.
   */
  drain(target: string | ActorRef): Promise<void>
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
const NOT_IN_A_CLUSTER: Refusal = { reason: 'node-down', detail: 'this node is not in a cluster' }

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
  readonly incarnation: number
  readonly codec: FrameCodec
  private readonly holdTtlMs: number
  private readonly closeGraceMs: number
  private readonly cluster: Cluster | undefined
  /** Inbound messages wait here until `createNode` has resolved (see {@link createNode}). */
  private early: Array<[SequencedEnvelope, string]> | undefined = []
  private earlyEvents: Array<() => void> | undefined = []

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
    this.incarnation = options.incarnation ?? Date.now()
    assertPositiveInteger('incarnation', this.incarnation)
    this.holdTtlMs = options.holdTtlMs ?? DEFAULTS.holdTtlMs
    assertPositiveNumber('holdTtlMs', this.holdTtlMs)
    this.closeGraceMs = options.closeGraceMs ?? DEFAULTS.closeGraceMs
    this.codec = new FrameCodec({
      maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
      maxEnvelopesPerFrame: options.maxEnvelopesPerFrame ?? DEFAULTS.maxEnvelopesPerFrame,
    })
    this.cluster = options.transport === undefined ? undefined : new Cluster(this, clusterSettings(options))
  }

  get url(): string | undefined {
    return this.cluster?.url
  }

  get connectionState(): ConnectionState {
    return this.cluster?.connectionState ?? 'online'
  }

  connectionStateChanged(state: ConnectionState): void {
    this.emitWhenReady(() => this.emit('connection', state))
  }

  /** @internal */
  get controls(): Cluster | undefined {
    return this.cluster
  }

  /** @internal */
  async start(): Promise<void> {
    await this.cluster?.start()
    // open the door to inbound messages only after createNode's caller has had its turn to spawn actors
    yieldToHost(() => {
      const events = this.earlyEvents ?? []
      this.earlyEvents = undefined
      for (const emit of events) emit()
      const early = this.early ?? []
      this.early = undefined
      for (const [envelope, from] of early) this.receive(envelope, from, true)
    })
  }

  members(): Member[] {
    return (
      this.cluster?.membership.list() ?? [
        {
          id: this.id,
          role: 'hub',
          incarnation: this.incarnation,
          status: 'up',
          via: undefined,
          url: undefined,
        },
      ]
    )
  }

  drain(target: string | ActorRef): Promise<void> {
    const node =
      typeof target === 'string' ? (target.includes('@') ? parseAddress(target).node : target) : target.nodeId
    return this.cluster?.drain(node) ?? Promise.resolve()
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
    return this.route(ref, { to: ref.address, from, message, askId: 0, origin: this.id }, options)
  }

  ask<R>(target: Address | ActorRef, message: unknown, options?: AskOptions, from?: Address): Promise<R> {
    const ref = this.resolve(target)
    const timeoutMs = options?.timeoutMs ?? this.askTimeoutMs
    assertPositiveNumber('timeoutMs', timeoutMs)
    const { id, promise } = this.asks.open<R>(ref.address, timeoutMs)
    this.route(ref, { to: ref.address, from, message, askId: id, origin: this.id }, options)
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
      if (letter.origin !== this.id) {
        this.sendRemote(
          { type: 'reply', seq: 0, node: letter.origin, askId: letter.askId, body: value, failed: false },
          replyLetter(letter.origin, from, value),
          this.holdTtlMs,
        )
      } else if (!this.asks.settle(letter.askId, value)) {
        this.deadLetter(replyLetter(this.id, from, value), 'no-reply-target')
      }
    } else if (letter?.from !== undefined) {
      this.send(letter.from, value, undefined, from)
    } else {
      this.deadLetter(replyLetter(this.id, from, value), 'no-reply-target')
    }
  }

  failAsk(letter: Letter, error: unknown): void {
    const text = `the handler of "${letter.to}" failed: ${error instanceof Error ? error.message : String(error)}`
    if (letter.origin !== this.id) {
      this.sendRemote(
        { type: 'reply', seq: 0, node: letter.origin, askId: letter.askId, body: text, failed: true },
        replyLetter(letter.origin, letter.to, text),
        this.holdTtlMs,
      )
      return
    }
    this.asks.fail(letter.askId, new TroupeError('HANDLER_ERROR', text, { cause: error }))
  }

  deadLetter(letter: Letter, reason: DeadLetterReason, detail?: string): void {
    this.deadLetters[reason]++
    if (letter.origin !== this.id) {
      // tell the sender's node, which fails its ask and emits the dead letter there too
      const { to, from, message: body, askId, origin } = letter
      this.cluster?.route(
        { type: 'dead', seq: 0, node: origin, to, from, body, askId, reason },
        origin,
        this.deadline(),
      )
    } else if (letter.askId !== 0) {
      const text = `message to "${letter.to}" was not delivered: ${reason}${detail === undefined ? '' : ` (${detail})`}`
      this.asks.fail(letter.askId, new TroupeError(CODE_OF[reason], text, { reason }))
    }
    const deadLetter: DeadLetter = { to: letter.to, from: letter.from, message: letter.message, reason }
    this.emit('deadletter', detail === undefined ? deadLetter : { ...deadLetter, detail })
  }

  // ---- ClusterHost ----

  receive(envelope: SequencedEnvelope, from: string, force: boolean): boolean {
    if (this.early !== undefined) {
      this.early.push([envelope, from])
      return true
    }
    const target = targetOf(envelope)
    if (target !== this.id) {
      // a hub relays: on to the next hop, with what is left of the TTL
      const ttl = envelope.type === 'message' ? envelope.ttl : this.holdTtlMs
      // a copy: the next link numbers it, and this envelope's number belongs to the link it came on
      const result = this.cluster?.route({ ...envelope }, target, this.clock.now() + ttl)
      if (typeof result === 'object') this.undeliverable(envelope, result.reason, result.detail)
      return true
    }
    switch (envelope.type) {
      case 'message': {
        const { to, from: sender, body, askId, origin } = envelope
        const name = to.slice(0, to.indexOf('@'))
        if (!force && this.cells.get(name)?.isFull) return false
        this.deliverLocal(name, undefined, { to, from: sender, message: body, askId, origin })
        return true
      }
      case 'reply': {
        const settled = envelope.failed
          ? this.asks.fail(envelope.askId, new TroupeError('HANDLER_ERROR', String(envelope.body)))
          : this.asks.settle(envelope.askId, envelope.body)
        if (!settled)
          this.deadLetter(replyLetter(this.id, `$reply@${from}`, envelope.body), 'no-reply-target')
        return true
      }
      case 'dead': {
        const { to, from: sender, body, askId, reason } = envelope
        this.deadLetter({ to, from: sender, message: body, askId, origin: this.id }, reason)
        return true
      }
    }
  }

  undeliverable(envelope: SequencedEnvelope, reason: DeadLetterReason, detail?: string): void {
    switch (envelope.type) {
      case 'message': {
        const { to, from, body, askId, origin } = envelope
        this.deadLetter({ to, from, message: body, askId, origin }, reason, detail)
        return
      }
      case 'reply':
        this.deadLetter(replyLetter(envelope.node, '$reply', envelope.body), reason, detail)
        return
      case 'dead':
        // the report of a dead letter that was already emitted here: nothing more to tell
        this.deadLetters[reason]++
    }
  }

  memberEvent(event: MemberEventName, member: Member): void {
    this.emitWhenReady(() => this.emit(event, member))
  }

  /** Like inbound messages, events wait until the caller of createNode has had its turn to subscribe. */
  private emitWhenReady(emit: () => void): void {
    if (this.earlyEvents !== undefined) this.earlyEvents.push(emit)
    else emit()
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
      held: this.cluster?.hold.size ?? 0,
      peers: this.cluster?.metrics() ?? {},
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
    const undelivered = (await this.cluster?.close(this.closeGraceMs)) ?? []
    this.closed = true
    for (const envelope of undelivered) this.undeliverable(envelope, 'stopped', 'the node closed')
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

  /** Local: straight to the mailbox. Remote: to the cluster, which picks a link, a relay or the hold queue. */
  private route(ref: Ref, letter: Letter, options: SendOptions | undefined): boolean {
    if (this.closed) {
      this.deadLetter(letter, 'stopped')
      return false
    }
    if (ref.nodeId === this.id) return this.deliverLocal(ref.name, ref, letter)
    const ttlMs = options?.ttlMs ?? this.holdTtlMs
    if (options?.ttlMs !== undefined) assertPositiveNumber('ttlMs', ttlMs)
    const { to, from, message: body, askId, origin } = letter
    return this.sendRemote(
      { type: 'message', seq: 0, to, from, origin, body, askId, ttl: ttlMs },
      letter,
      ttlMs,
    )
  }

  private sendRemote(envelope: SequencedEnvelope, letter: Letter, ttlMs: number): boolean {
    const node = targetOf(envelope)
    const result: RouteResult =
      this.cluster?.route(envelope, node, this.clock.now() + ttlMs) ?? NOT_IN_A_CLUSTER
    if (typeof result === 'object') {
      this.deadLetter(letter, result.reason, result.detail)
      return false
    }
    return result === 'queued'
  }

  private deliverLocal(name: string, ref: Ref | undefined, letter: Letter): boolean {
    let cell = ref?.cell
    if (cell === undefined || cell.isStopped) cell = this.cells.get(name)
    if (cell === undefined) {
      this.deadLetter(letter, 'no-such-actor')
      return false
    }
    if (!cell.enqueue(letter)) return false
    this.delivered++
    return true
  }

  private deadline(): number {
    return this.clock.now() + this.holdTtlMs
  }
}

const replyLetter = (node: string, from: Address, value: unknown): Letter => ({
  to: `$reply@${node}`,
  from,
  message: value,
  askId: 0,
  origin: node,
})

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
  const node = new TroupeNode(options)
  await node.start()
  return node
}
