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
import { Cluster, type ConnectionState } from './cluster/cluster.js'
import type { Member, MemberEventName } from './cluster/membership.js'
import { DEFAULTS } from './defaults.js'
import { Delivery, type DeliveryMetrics, type SendResult, type Standing } from './delivery/delivery.js'
import {
  CODE_OF,
  deadEnvelope,
  handlerError,
  letterOf,
  messageEnvelope,
  replyEnvelope,
  replyLetter,
} from './delivery/letters.js'
import { TroupeError } from './errors.js'
import { reportUnhandled, yieldToHost } from './host.js'
import type { LinkMetrics, PeerLink } from './link/peerLink.js'
import { clusterSettings, type NodeOptions } from './nodeOptions.js'
import { assertPositiveInteger, assertPositiveNumber } from './validate.js'
import { FrameCodec } from './wire/codec.js'
import type { DataEnvelope, RoutedControlEnvelope } from './wire/envelope.js'
import { decodeValue, encodeValue, prepareValue } from './wire/values.js'

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
}

/** Counters of a node, for monitoring. */
export interface NodeMetrics extends DeliveryMetrics {
  /** Actors alive on this node. */
  actors: number
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
}

/**
 * A node: a home for actors and this process's (or tab's) member of a cluster.
 * Made by {@link createNode}.
 */
export interface Node extends Pick<EventEmitter<NodeEvents>, 'on' | 'once' | 'off'> {
  readonly id: string
  /** The URL peers dial to reach this node, if it listens. */
  readonly url: string | undefined
  /** The member table: this node first, then every member it knows (a client knows its hubs and the nodes it talks to). */
  members(): Member[]
  /** `online` once linked to a hub (hubs are always online), `connecting` while dialing, `offline` while the browser is, `refused` after a hub refused it. */
  readonly connectionState: ConnectionState
  /**
   * Resolves when the messages queued for `target` (a node id or an address)
   * are below half the high-water mark. Use after `send` returned false.
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
   * Fire and forget to an address or ref. Throws for what the caller got wrong
   * (`BAD_ADDRESS`, `BAD_ARGUMENT`, `UNENCODABLE`); undeliverable messages
   * become dead letters. See {@link ActorRef.send}.
   */
  send(target: Address | ActorRef, message: unknown, options?: SendOptions): boolean
  /**
   * Sends and resolves with the reply. Rejects with a {@link TroupeError}:
   * `ASK_TIMEOUT`, `NO_SUCH_ACTOR`, `NODE_DOWN`, `NO_SUCH_NODE`, `QUEUE_FULL`, `HANDLER_ERROR`, `CLOSED`, ...
   */
  ask<TReply = unknown>(target: Address | ActorRef, message: unknown, options?: AskOptions): Promise<TReply>
  /** Stops a local actor and its children; resolves when its `stopped` hook has run. */
  stop(target: Address | ActorRef): Promise<void>
  /** After a hub refused this client (`connectionState` is `'refused'`): dial again, with a new token perhaps. */
  reconnect(): void
  metrics(): NodeMetrics
  /** Stops every actor (their `stopped` hooks run) and rejects pending asks. Idempotent. */
  close(): Promise<void>
  [Symbol.asyncDispose](): Promise<void>
}

const REF_CACHE_SIZE = 4_096
const NOT_IN_A_CLUSTER = { reason: 'node-down', detail: 'this node is not in a cluster' } as const

/** @internal */
export class TroupeNode extends EventEmitter<NodeEvents> implements Node, ActorHost {
  readonly id: string
  readonly clock: Clock
  readonly throughput: number
  readonly incarnation: number
  readonly codec: FrameCodec
  readonly delivery: Delivery | undefined
  private readonly askTimeoutMs: number
  private readonly holdTtlMs: number
  private readonly closeGraceMs: number
  private readonly remoteErrorStacks: boolean
  private readonly cells = new Map<string, ActorCell>()
  private readonly refs = new Map<Address, Ref>()
  private readonly asks: PendingAsks
  private readonly cluster: Cluster | undefined
  private delivered = 0
  private readonly deadLetters = Object.fromEntries(DEAD_LETTER_REASONS.map((r) => [r, 0])) as Record<
    DeadLetterReason,
    number
  >
  private closed = false
  private closing: Promise<void> | undefined
  /** Until `createNode` has resolved, inbound messages wait (in delivery's backlog) and events here. */
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
    this.remoteErrorStacks = options.remoteErrorStacks === true
    this.codec = new FrameCodec({
      maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
      maxEnvelopesPerFrame: options.maxEnvelopesPerFrame ?? DEFAULTS.maxEnvelopesPerFrame,
    })
    if (options.transport !== undefined) {
      const settings = clusterSettings(options)
      this.delivery = new Delivery(this, settings.delivery)
      this.cluster = new Cluster(this, this.delivery, settings.cluster)
    }
  }

  get url(): string | undefined {
    return this.cluster?.url
  }

  get connectionState(): ConnectionState {
    return this.cluster?.connectionState ?? 'online'
  }

  /** @internal */
  get controls(): Cluster | undefined {
    return this.cluster
  }

  /** @internal */
  async start(): Promise<void> {
    await this.cluster?.start()
    // open the door only after createNode's caller has had its turn to spawn actors and listen
    yieldToHost(() => {
      const events = this.earlyEvents ?? []
      this.earlyEvents = undefined
      for (const emit of events) emit()
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
          principal: undefined,
        },
      ]
    )
  }

  drain(target: string | ActorRef): Promise<void> {
    const node =
      typeof target === 'string' ? (target.includes('@') ? parseAddress(target).node : target) : target.nodeId
    return this.delivery?.drain(node) ?? Promise.resolve()
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
    const letter: Letter = { to: ref.address, from, message, askId: 0, origin: this.id }
    if (ref.nodeId === this.id) return this.sendLocal(ref, letter)
    return this.sendRemote(letter, encodeValue(message), this.ttlOf(options))
  }

  ask<R>(target: Address | ActorRef, message: unknown, options?: AskOptions, from?: Address): Promise<R> {
    const ref = this.resolve(target)
    const timeoutMs = options?.timeoutMs ?? this.askTimeoutMs
    assertPositiveNumber('timeoutMs', timeoutMs)
    const remote = ref.nodeId !== this.id
    // checked before the ask opens: a message that cannot cross throws here, leaving nothing behind
    const body = remote ? encodeValue(message) : undefined
    if (!remote) prepareValue(message, 'message')
    const waitForNode = options?.waitForNode === true
    const { id, promise } = this.asks.open<R>(ref.address, ref.nodeId, timeoutMs, waitForNode)
    const letter: Letter = { to: ref.address, from, message, askId: id, origin: this.id }
    if (!remote) this.sendLocal(ref, letter)
    else {
      const standing = this.standing(ref.nodeId)
      if (!waitForNode && (standing === 'down' || standing === 'left')) this.deadLetter(letter, 'node-down')
      // the message is worth nothing once the ask is over
      else this.sendRemote(letter, body!, Math.min(this.ttlOf(options), timeoutMs))
    }
    return promise
  }

  async stop(target: Address | ActorRef): Promise<void> {
    const ref = this.resolve(target)
    if (ref.nodeId !== this.id) {
      throw new TroupeError('BAD_ADDRESS', `cannot stop "${ref.address}": it is not on node "${this.id}"`)
    }
    await this.cells.get(ref.name)?.stop()
  }

  reconnect(): void {
    this.cluster?.retryRefused()
  }

  // ---- ActorHost ----

  reply(letter: Letter | undefined, value: unknown, from: Address): void {
    if (letter !== undefined && letter.askId !== 0) {
      if (letter.origin !== this.id) {
        const envelope = replyEnvelope(this.id, this.incarnation, letter.origin, letter.askId, { value })
        this.sendEnvelope(envelope, replyLetter(letter.origin, from, value), this.holdTtlMs)
        return
      }
      prepareValue(value, 'reply')
      if (!this.asks.settle(letter.askId, value))
        this.deadLetter(replyLetter(this.id, from, value), 'no-reply-target')
    } else if (letter?.from !== undefined) {
      this.send(letter.from, value, undefined, from)
    } else {
      this.deadLetter(replyLetter(this.id, from, value), 'no-reply-target')
    }
  }

  failAsk(letter: Letter, error: unknown): void {
    if (letter.origin !== this.id) {
      const answer = { error, stack: this.remoteErrorStacks }
      const envelope = replyEnvelope(this.id, this.incarnation, letter.origin, letter.askId, answer)
      this.sendEnvelope(envelope, replyLetter(letter.origin, letter.to, error), this.holdTtlMs)
      return
    }
    this.asks.fail(letter.askId, handlerError(letter.to, error))
  }

  deadLetter(letter: Letter, reason: DeadLetterReason, detail?: string): void {
    this.deadLetters[reason]++
    if (letter.origin !== this.id && !letter.to.startsWith('$reply@')) {
      // tell the sender's node, which fails its ask and emits the dead letter there too
      this.delivery?.send(deadEnvelope(letter, reason, this.id, this.incarnation), this.holdTtlMs)
    } else if (letter.askId !== 0) {
      const text = `message to "${letter.to}" was not delivered: ${reason}${detail === undefined ? '' : ` (${detail})`}`
      this.asks.fail(letter.askId, new TroupeError(CODE_OF[reason], text, { reason }))
    }
    const deadLetter: DeadLetter = { to: letter.to, from: letter.from, message: letter.message, reason }
    this.emit('deadletter', detail === undefined ? deadLetter : { ...deadLetter, detail })
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

  // ---- DeliveryHost ----

  routeTo(node: string): PeerLink | undefined {
    return this.cluster?.routeTo(node)
  }

  standing(node: string): Standing {
    return this.cluster?.standing(node) ?? 'unknown'
  }

  isClient(node: string): boolean {
    return this.cluster?.membership.get(node)?.role === 'client'
  }

  deliver(envelope: DataEnvelope, force: boolean): boolean {
    if (this.earlyEvents !== undefined && !force) return false // createNode has not returned yet
    switch (envelope.type) {
      case 'skip':
        return true
      case 'message': {
        const { to, from, askId, origin } = envelope
        const name = to.slice(0, to.indexOf('@'))
        if (!force && this.cells.get(name)?.isFull) return false
        let message: unknown
        try {
          message = decodeValue(envelope.body)
        } catch (error) {
          this.deadLetter(
            { to, from, message: undefined, askId, origin },
            'unencodable',
            (error as Error).message,
          )
          return true
        }
        this.deliverLocal(name, undefined, { to, from, message, askId, origin })
        return true
      }
      case 'reply':
        this.answer(envelope)
        return true
      case 'dead': {
        const target = envelope.to.slice(envelope.to.indexOf('@') + 1)
        // believed from the node the message went to, or from a hub on its way
        if (target !== envelope.origin && this.cluster?.membership.get(envelope.origin)?.role !== 'hub')
          return true
        const askId = this.asks.nodeOf(envelope.askId) === target ? envelope.askId : 0
        this.deadLetter(letterOf(envelope, this.id, askId), envelope.reason)
        return true
      }
    }
  }

  undeliverable(envelope: DataEnvelope, reason: DeadLetterReason, detail?: string): void {
    switch (envelope.type) {
      case 'message':
        this.deadLetter(letterOf(envelope, this.id), reason, detail)
        return
      case 'reply':
        this.deadLetter(replyLetter(this.id, `$reply@${envelope.dest}`, undefined), reason, detail)
        return
      case 'dead':
        this.deadLetters[reason]++ // the report of a dead letter already emitted here
        return
      case 'skip':
        return
    }
  }

  unreachable(node: string, reason: 'down' | 'left' | 'unknown'): void {
    const known = reason !== 'unknown'
    this.asks.failTo(
      node,
      () =>
        new TroupeError(
          known ? 'NODE_DOWN' : 'NO_SUCH_NODE',
          known
            ? `node "${node}" is ${reason === 'left' ? 'gone (it left)' : 'down'}`
            : `no node "${node}" in the cluster`,
          { reason: known ? 'node-down' : 'no-such-node' },
        ),
    )
  }

  // ---- ClusterHost ----

  memberEvent(event: MemberEventName, member: Member): void {
    this.emitWhenReady(() => this.emit(event, member))
  }

  connectionStateChanged(state: ConnectionState): void {
    this.emitWhenReady(() => this.emit('connection', state))
  }

  forged(from: string, envelope: DataEnvelope | RoutedControlEnvelope, detail: string): void {
    if (envelope.type !== 'message') return // counted on the link; nothing to report beyond that
    this.deadLetters.rejected++
    this.emit('deadletter', {
      to: envelope.to,
      from: envelope.from ?? `?@${from}`,
      message: undefined,
      reason: 'rejected',
      detail,
    })
  }

  metrics(): NodeMetrics {
    const cluster = this.cluster?.metrics()
    return {
      actors: this.cells.size,
      pendingAsks: this.asks.size,
      delivered: this.delivered,
      deadLetters: { ...this.deadLetters },
      ...(this.delivery?.metrics() ?? EMPTY_DELIVERY),
      relayed: cluster?.relayed ?? 0,
      clients: cluster?.clients ?? 0,
      peers: cluster?.peers ?? (Object.create(null) as Record<string, LinkMetrics>),
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
    await this.cluster?.close(this.closeGraceMs)
    this.closed = true
    for (const envelope of this.delivery?.clear() ?? [])
      this.undeliverable(envelope, 'stopped', 'the node closed')
    this.asks.failAll(closedError())
  }

  /** Like inbound messages, events wait until the caller of createNode has had its turn to subscribe. */
  private emitWhenReady(emit: () => void): void {
    if (this.earlyEvents !== undefined) this.earlyEvents.push(emit)
    else emit()
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

  private ttlOf(options: SendOptions | undefined): number {
    const ttlMs = options?.ttlMs
    if (ttlMs === undefined) return this.holdTtlMs
    if (typeof ttlMs !== 'number' || !(ttlMs >= 0)) {
      throw new TroupeError('BAD_ARGUMENT', `bad ttlMs ${String(ttlMs)}: expected a number >= 0`)
    }
    return Math.min(ttlMs, this.cluster?.maxTtlMs ?? ttlMs)
  }

  /** To a local mailbox, by reference: messages are immutable (see docs/api.md), and sendable like remote ones. */
  private sendLocal(ref: Ref, letter: Letter): boolean {
    if (letter.askId === 0) prepareValue(letter.message, 'message')
    if (this.closed) {
      this.deadLetter(letter, 'stopped')
      return false
    }
    return this.deliverLocal(ref.name, ref, letter)
  }

  private sendRemote(letter: Letter, body: Uint8Array, ttlMs: number): boolean {
    return this.sendEnvelope(messageEnvelope(letter, body, this.incarnation), letter, ttlMs)
  }

  private sendEnvelope(envelope: DataEnvelope, letter: Letter, ttlMs: number): boolean {
    const result: SendResult =
      this.closed || this.delivery === undefined
        ? { reason: this.closed ? 'stopped' : NOT_IN_A_CLUSTER.reason, detail: NOT_IN_A_CLUSTER.detail }
        : this.delivery.send(envelope, ttlMs)
    if (typeof result === 'object') {
      this.deadLetter(letter, result.reason, result.detail)
      return false
    }
    return result === 'queued'
  }

  /** A reply counts only from the node the ask went to. */
  private answer(reply: Extract<DataEnvelope, { type: 'reply' }>): void {
    const asked = this.asks.nodeOf(reply.askId)
    if (asked !== reply.origin) {
      const detail =
        asked === undefined ? undefined : `an answer from "${reply.origin}" to an ask to "${asked}"`
      this.deadLetter(replyLetter(this.id, `$reply@${reply.origin}`, undefined), 'no-reply-target', detail)
      return
    }
    let value: unknown
    try {
      value = decodeValue(reply.body)
    } catch (error) {
      this.asks.fail(
        reply.askId,
        new TroupeError('UNENCODABLE', `the reply could not be read: ${(error as Error).message}`),
      )
      return
    }
    if (reply.failed) this.asks.fail(reply.askId, handlerError(this.asks.addressOf(reply.askId)!, value))
    else this.asks.settle(reply.askId, value)
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
}

const EMPTY_DELIVERY: DeliveryMetrics = {
  sent: 0,
  received: 0,
  queued: 0,
  held: 0,
  heldBytes: 0,
  resent: 0,
  duplicatesDropped: 0,
  outOfOrderDropped: 0,
  streams: {},
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
  const node = new TroupeNode(options)
  await node.start()
  return node
}
