import { EventEmitter } from 'eventemitter3'
import { nanoid } from 'nanoid'
import type { ActorCell, ActorErrorEvent } from '../actor/actorCell.js'
import type { ActorHost } from '../actor/actorHost.js'
import { type ActorRef, type AskOptions, Ref, type SendOptions } from '../actor/actorRef.js'
import { type AskEnded, PendingAsks } from '../actor/asks.js'
import type { BehaviorSource } from '../actor/behavior.js'
import { DEAD_LETTER_REASONS, type DeadLetter, type DeadLetterReason } from '../actor/deadLetter.js'
import type { Letter } from '../actor/letter.js'
import type { AnyRef, Protocol, Untyped } from '../actor/protocol.js'
import type { SpawnOptions } from '../actor/spawnOptions.js'
import { type Address, assertNodeId, parseAddress } from '../address.js'
import { type Clock, realClock } from '../clock.js'
import type { ConnectionState } from '../cluster/clientConnector.js'
import { Cluster } from '../cluster/cluster.js'
import type { Member, MemberEventName } from '../cluster/membership.js'
import { DEFAULTS } from '../defaults.js'
import { Delivery } from '../delivery/delivery.js'
import {
  CODE_OF,
  deadEnvelope,
  handlerError,
  messageEnvelope,
  replyEnvelope,
  replyLetter,
} from '../delivery/letters.js'
import type { DeliveryMetrics, SendResult, Standing } from '../delivery/types.js'
import { TroupeError } from '../errors.js'
import { CircuitBreakers } from '../groups/circuitBreakers.js'
import type { Group, GroupOptions } from '../groups/group.js'
import { Groups } from '../groups/groups.js'
import { queueMicrotask, reportUnhandled, yieldToHost } from '../host.js'
import type { LinkMetrics, PeerLink } from '../link/peerLink.js'
import { clusterSettings, type NodeOptions } from '../nodeOptions.js'
import { Entities } from '../placement/entities.js'
import { ENTITY_PREFIX } from '../placement/entityHost.js'
import { parseEntityAddress } from '../placement/entityRef.js'
import type { DefineOptions, EntityFactory } from '../placement/entityTypes.js'
import type { FanOutSpan, Tracing } from '../tracing/tracing.js'
import { assertPositiveInteger, assertPositiveNumber } from '../validate.js'
import { FrameCodec } from '../wire/codec.js'
import type { DataEnvelope, RoutedControlEnvelope } from '../wire/envelope.js'
import { encodeValue, prepareValue } from '../wire/values.js'
import type { Node, NodeEvents, NodeMetrics } from './api.js'
import { DeathWatch, WATCH_ACTOR } from './deathWatch.js'
import { IncomingMail } from './incomingMail.js'
import { LocalActors } from './localActors.js'
import { deathWatchNodeOf, entitiesNodeOf, groupsNodeOf } from './services.js'

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
  readonly tracing: Tracing | undefined
  /** @internal */
  readonly askTimeoutMs: number
  /** @internal */
  readonly holdTtlMs: number
  private readonly closeGraceMs: number
  private readonly handshakeTimeoutMs: number
  private readonly remoteErrorStacks: boolean
  /** @internal */
  readonly actors: LocalActors
  private readonly refs = new Map<Address, Ref>()
  readonly asks: PendingAsks
  private readonly mail: IncomingMail
  private readonly entities: Entities
  /** @internal read by the cluster */
  readonly groups: Groups
  private readonly deathWatch: DeathWatch
  /** @internal */
  readonly breakers: CircuitBreakers | undefined
  private placementStale = false
  /** @internal */
  readonly cluster: Cluster | undefined
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
    this.tracing = options.tracing
    this.throughput = options.throughput ?? DEFAULTS.throughput
    assertPositiveInteger('throughput', this.throughput)
    this.breakers =
      options.circuitBreaker === false ? undefined : new CircuitBreakers(this.clock, options.circuitBreaker)
    this.asks = new PendingAsks(this.clock, (ended) => this.askEnded(ended))
    this.actors = new LocalActors(this)
    this.mail = new IncomingMail({
      id: this.id,
      asks: this.asks,
      isFull: (name) => this.actors.isFull(name),
      deliverLocal: (name, letter) => void this.deliverLetter(name, undefined, letter),
      refOf: (address) => this.refOf(address),
      deadLetter: (letter, reason, detail) => this.deadLetter(letter, reason, detail),
      countDeadLetter: (reason) => void this.deadLetters[reason]++,
      isHub: (node) => this.cluster?.membership.get(node)?.role === 'hub',
      hasSentTo: (node) => this.delivery?.hasSentTo(node) === true,
    })
    this.incarnation = options.incarnation ?? Date.now()
    assertPositiveInteger('incarnation', this.incarnation)
    this.holdTtlMs = options.holdTtlMs ?? DEFAULTS.holdTtlMs
    assertPositiveNumber('holdTtlMs', this.holdTtlMs)
    this.closeGraceMs = options.closeGraceMs ?? DEFAULTS.closeGraceMs
    this.handshakeTimeoutMs = options.handshakeTimeoutMs ?? DEFAULTS.handshakeTimeoutMs
    this.remoteErrorStacks = options.remoteErrorStacks === true
    this.codec = new FrameCodec({
      maxFrameBytes: options.maxFrameBytes ?? DEFAULTS.maxFrameBytes,
      maxEnvelopesPerFrame: options.maxEnvelopesPerFrame ?? DEFAULTS.maxEnvelopesPerFrame,
    })
    this.groups = new Groups(groupsNodeOf(this, options))
    this.deathWatch = new DeathWatch(deathWatchNodeOf(this))
    if (options.transport !== undefined) {
      const settings = clusterSettings(options)
      this.delivery = new Delivery(this, settings.delivery)
      this.cluster = new Cluster(this, this.delivery, settings.cluster)
    }
    this.entities = new Entities(entitiesNodeOf(this, options))
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
          kinds: [],
        },
      ]
    )
  }

  drain(target: string | AnyRef): Promise<void> {
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
    return this.actors.spawn(name, behavior, options, parent)
  }

  ref(address: Address): ActorRef {
    const { name, node } = parseAddress(address)
    return new Ref(this, address, name, node)
  }

  send(
    target: Address | AnyRef,
    message: unknown,
    options?: SendOptions,
    from?: Address,
    fanOut?: FanOutSpan,
  ): boolean {
    const ref = this.resolve(target)
    const span = this.outgoingSpan('send', ref.address, fanOut)
    const letter: Letter = { to: ref.address, from, message, askId: 0, origin: this.id, trace: span?.context }
    if (span === undefined) {
      if (ref.nodeId === this.id) return this.sendLocal(ref, letter)
      return this.sendRemote(letter, encodeValue(message), this.ttlOf(options))
    }
    try {
      if (ref.nodeId === this.id) return this.sendLocal(ref, letter)
      return this.sendRemote(letter, encodeValue(message), this.ttlOf(options))
    } finally {
      span.end()
    }
  }

  ask(
    target: Address | AnyRef,
    message: unknown,
    options?: AskOptions,
    from?: Address,
    fanOut?: FanOutSpan,
  ): Promise<unknown> {
    const ref = this.resolve(target)
    const timeoutMs = options?.timeoutMs ?? this.askTimeoutMs
    assertPositiveNumber('timeoutMs', timeoutMs)
    const remote = ref.nodeId !== this.id
    // checked before the ask opens: a message that cannot cross throws here, leaving nothing behind
    const body = remote ? encodeValue(message) : undefined
    if (!remote) prepareValue(message, 'message')
    const waitForNode = options?.waitForNode === true
    const { id, promise } = this.asks.open(ref.address, ref.nodeId, timeoutMs, waitForNode)
    const span = this.outgoingSpan('ask', ref.address, fanOut)
    if (span !== undefined)
      promise.then(
        () => span.end(),
        (error: unknown) => span.end(error),
      )
    const letter: Letter = {
      to: ref.address,
      from,
      message,
      askId: id,
      origin: this.id,
      trace: span?.context,
    }
    if (!remote) this.sendLocal(ref, letter)
    else {
      const standing = this.standing(ref.nodeId)
      if (!waitForNode && (standing === 'down' || standing === 'left')) this.deadLetter(letter, 'node-down')
      else if (this.breakers?.allow(ref.nodeId) === false)
        this.deadLetter(letter, 'circuit-open', `asks to "${ref.nodeId}" failed too often; trying again soon`)
      // the message is worth nothing once the ask is over
      else this.sendRemote(letter, body!, Math.min(this.ttlOf(options), timeoutMs))
    }
    return promise
  }

  async stop(target: Address | AnyRef): Promise<void> {
    const ref = this.resolve(target)
    if (ref.nodeId !== this.id) {
      throw new TroupeError('BAD_ADDRESS', `cannot stop "${ref.address}": it is not on node "${this.id}"`)
    }
    await this.actors.stop(ref.name)
  }

  define(kind: string, factory: EntityFactory<never, never, never>, options?: DefineOptions): void {
    this.entities.define(kind, factory as unknown as EntityFactory, options)
  }

  entity<M, R>(kind: string, key: string): ActorRef<M, R> {
    // the types are the caller's declaration of what the kind takes and answers, as with a protocol
    return this.entities.ref(kind, key) as unknown as ActorRef<M, R>
  }

  group<M, R>(name: string, options?: GroupOptions<M>): Group<M, R> {
    return this.groups.group(name, options as GroupOptions | undefined) as unknown as Group<M, R>
  }

  join(group: string, ref: AnyRef): void {
    this.groups.join(group, this.localName(ref, 'join a group'))
  }

  leave(group: string, ref: AnyRef): void {
    this.groups.leave(group, this.localName(ref, 'leave a group'))
  }

  watch(watcher: Address, target: AnyRef): void {
    this.deathWatch.watch(watcher, this.resolve(target))
  }

  unwatch(watcher: Address, target: AnyRef): void {
    this.deathWatch.unwatch(watcher, this.resolve(target))
  }

  joined(options?: { timeoutMs?: number }): Promise<void> {
    const timeoutMs = options?.timeoutMs ?? this.handshakeTimeoutMs
    assertPositiveNumber('timeoutMs', timeoutMs)
    return this.cluster?.joined(timeoutMs) ?? Promise.resolve()
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
    this.actors.unregister(cell)
    this.groups.stopped(cell.name)
    this.deathWatch.stopped(cell.name)
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
    // until createNode has returned, what arrives waits (in delivery's backlog) for the caller's actors
    if (this.earlyEvents !== undefined && !force) return false
    return this.mail.deliver(envelope, force)
  }

  undeliverable(envelope: DataEnvelope, reason: DeadLetterReason, detail?: string): void {
    this.mail.undeliverable(envelope, reason, detail)
  }

  unreachable(node: string, reason: 'down' | 'left' | 'unknown'): void {
    // what entities there had not answered goes to their next owners first; asks to the node itself fail
    const failing = this.asks.failingTo(node)
    const moved = reason === 'unknown' ? undefined : this.entities.ownerLost(node)
    // their messages must not reach the node if it comes back: nobody waits for those answers any more
    if (moved !== undefined) this.delivery?.withdrawAsks(node, moved)
    this.mail.unreachable(node, reason)
    this.delivery?.withdrawAsks(node, failing, reason === 'unknown' ? 'no-such-node' : 'node-down')
  }

  // ---- ClusterHost ----

  membersChanged(): void {
    // batched: a gossip of many rows is one change for placement
    if (this.placementStale) return
    this.placementStale = true
    queueMicrotask(() => {
      this.placementStale = false
      this.entities.membershipChanged()
    })
  }

  memberEvent(event: MemberEventName, member: Member): void {
    if (event === 'member-up') this.breakers?.reset(member.id)
    else this.deathWatch.nodeGone(member.id, event === 'member-down' ? 'down' : 'left')
    this.emitWhenReady(() => this.emit(event, member))
  }

  connectionStateChanged(state: ConnectionState): void {
    this.emitWhenReady(() => this.emit('connection', state))
  }

  hasPendingAsks(): boolean {
    return this.asks.size > 0
  }

  summary(): readonly number[] {
    const delivery = this.delivery?.metrics() ?? EMPTY_DELIVERY
    let deadLetters = 0
    for (const reason of DEAD_LETTER_REASONS) deadLetters += this.deadLetters[reason]
    return [delivery.sent, delivery.received, deadLetters, this.actors.size, this.asks.size, delivery.held]
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
      actors: this.actors.size,
      mailboxes: this.actors.mailboxes(),
      pendingAsks: this.asks.size,
      delivered: this.actors.delivered,
      deadLetters: { ...this.deadLetters },
      ...(this.delivery?.metrics() ?? EMPTY_DELIVERY),
      relayed: cluster?.relayed ?? 0,
      clients: cluster?.clients ?? 0,
      entities: this.entities.metrics,
      groups: this.groups.counts(),
      circuits: this.breakers?.metrics() ?? {},
      peers: cluster?.peers ?? (Object.create(null) as Record<string, LinkMetrics>),
    }
  }

  get state(): 'running' | 'closing' | 'closed' {
    return this.closing === undefined ? 'running' : this.closed ? 'closed' : 'closing'
  }

  close(): Promise<void> {
    if (this.closing === undefined) {
      this.closing = this.shutdown()
      this.emit('closing')
    }
    return this.closing
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }

  private async shutdown(): Promise<void> {
    const closedError = () => new TroupeError('CLOSED', `node "${this.id}" closed`)
    this.asks.failAll(closedError())
    await this.entities.close()
    await this.actors.stopAll()
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

  /** @internal */
  resolve(target: Address | AnyRef): Ref {
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

  /** To a local actor, or to the entities hosted here for `entity:<kind>`. */
  private deliverLetter(name: string, ref: Ref | undefined, letter: Letter): boolean {
    if (name.startsWith(ENTITY_PREFIX) && !name.includes('/')) {
      this.entities.deliver(letter)
      return true
    }
    if (name === WATCH_ACTOR) {
      this.deathWatch.receive(letter)
      return true
    }
    return this.actors.deliver(name, ref, letter)
  }

  /** The span of a message leaving for `to`; no call into the tracing hooks at all while they are dormant. */
  private outgoingSpan(kind: 'send' | 'ask', to: Address, fanOut: FanOutSpan | undefined) {
    const tracing = this.tracing
    return tracing === undefined || tracing.dormant ? undefined : tracing.outgoing(kind, to, fanOut)
  }

  /** A ref of this node for an address that came in a message: an entity's, or an actor's. */
  private refOf(address: string): AnyRef {
    const entity = parseEntityAddress(address)
    if (entity !== undefined) return this.entities.ref(entity.kind, entity.key)
    try {
      return this.resolve(address)
    } catch {
      return this.resolve(`nobody@${this.id}`) // not an address at all: a ref that dead-letters
    }
  }

  private askEnded({ node, answered, error, openedAt }: AskEnded): void {
    if (node !== this.id && answered !== undefined && this.breakers !== undefined) {
      if (answered) this.breakers.succeeded(node)
      else this.breakers.failed(node)
    }
    if (this.listenerCount('ask-settled') > 0)
      this.emit('ask-settled', { outcome: error?.code ?? 'ok', durationMs: this.clock.now() - openedAt })
  }

  /** The name of `ref`, an actor of this node; throws `BAD_ARGUMENT` for one elsewhere. */
  private localName(target: AnyRef, what: string): string {
    const ref = this.resolve(target)
    if (ref.nodeId !== this.id)
      throw new TroupeError(
        'BAD_ARGUMENT',
        `cannot ${what} for "${ref.address}": it is not on node "${this.id}"`,
      )
    return ref.name
  }

  /** The members up (or suspect) that host entities of `kind`, this node included. */
  /** @internal */
  hostsOf(kind: string): string[] {
    if (this.cluster !== undefined) return this.cluster.membership.hostsOf(kind)
    return this.entities.defines(kind) ? [this.id] : []
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
  /** @internal */
  sendLocal(ref: Ref, letter: Letter): boolean {
    if (letter.askId === 0) prepareValue(letter.message, 'message')
    if (this.closed) {
      this.deadLetter(letter, 'stopped')
      return false
    }
    return this.deliverLetter(ref.name, ref, letter)
  }

  /** @internal */
  sendRemote(letter: Letter, body: Uint8Array, ttlMs: number): boolean {
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
export async function createNode<P extends Protocol = Untyped>(options: NodeOptions = {}): Promise<Node<P>> {
  const node = new TroupeNode(options)
  await node.start()
  // the protocol is a view for the caller's types: every node speaks to any address at run time
  return node as unknown as Node<P>
}
