import type { ActorCell } from '../actor/actorCell.js'
import type { AskOptions, SendOptions } from '../actor/actorRef.js'
import type { EntityAsk, PendingAsks } from '../actor/asks.js'
import type { Behavior } from '../actor/behavior.js'
import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { Letter } from '../actor/letter.js'
import type { Clock } from '../clock.js'
import { DEFAULTS } from '../defaults.js'
import { isTroupeError, TroupeError } from '../errors.js'
import { randomId } from '../host.js'
import type { Storage } from '../storage/storage.js'
import type { Tracing } from '../tracing/tracing.js'
import { assertPositiveNumber } from '../validate.js'
import { prepareValue } from '../wire/values.js'
import type { EntityEnvelope } from './activation.js'
import { ENTITY_PREFIX, EntityHost, type EntityMetrics } from './entityHost.js'
import { EntityRef, entityAddress } from './entityRef.js'
import type { DefineOptions, EntityFactory } from './entityTypes.js'
import { rendezvousOwner } from './rendezvous.js'

const KIND = /^[A-Za-z0-9_.-]{1,64}$/
const MAX_KEY_LENGTH = 256

/** What entities need from their node. @internal */
export interface EntitiesNode {
  readonly id: string
  readonly tracing: Tracing | undefined
  readonly incarnation: number
  readonly clock: Clock
  readonly storage: Storage | undefined
  readonly asks: PendingAsks
  readonly leaseMs: number
  readonly maxStateBytes: number
  readonly holdTtlMs: number
  readonly askTimeoutMs: number
  readonly unknownKindGraceMs: number
  /** The nodes hosting `kind` that are up (this one included), as this node knows them. */
  hostsOf(kind: string): string[]
  isAlive(id: string): boolean
  /** A client knows only the hosts its hub told it of. */
  readonly isClient: boolean
  /** Where to send an entity's messages when no host of its kind is known here: a client's hub, which knows more. */
  fallback(): string | undefined
  hostKind(kind: string, clients: boolean): void
  spawnActivation(name: string, behavior: () => Behavior): ActorCell
  /** Sends a letter whose ask (if any) is open already. */
  route(letter: Letter, ttlMs: number): void
  reply(letter: Letter, value: unknown): void
  fail(letter: Letter, error: TroupeError): void
  deadLetter(letter: Letter, reason: DeadLetterReason, detail?: string): void
}

/**
 * Virtual actors on one node: the kinds it hosts (an {@link EntityHost}), and
 * the sending side: every node, hosting or not, finds an entity's owner by
 * rendezvous hashing over the members that host its kind, sends it there, and
 * when that owner goes down sends what it has not had answered to the next
 * owner (an entity recognises a message it has applied already). A message to
 * an entity is an ask under the hood, even a `send`: its answer is what tells
 * the sender it was applied.
 * @internal
 */
export class Entities {
  private readonly host: EntityHost

  constructor(private readonly node: EntitiesNode) {
    this.host = new EntityHost({
      id: node.id,
      clock: node.clock,
      owner: `${node.id}:${node.incarnation}`,
      storage: node.storage,
      leaseMs: node.leaseMs,
      maxStateBytes: node.maxStateBytes,
      ownerOf: (kind, key) => this.ownerOf(kind, key),
      isAlive: (id) => node.isAlive(id),
      spawnActivation: (name, behavior) => node.spawnActivation(name, behavior),
      entityRef: (kind, key) => this.ref(kind, key),
      forward: (letter) => this.forward(letter),
      deadLetter: (letter, reason, detail) => node.deadLetter(letter, reason, detail),
      fail: (letter, error) => node.fail(letter, error),
    })
  }

  get metrics(): EntityMetrics {
    return this.host.metrics
  }

  define(kind: string, factory: EntityFactory, options: DefineOptions = {}): void {
    assertKind(kind)
    if (typeof factory !== 'function') {
      throw new TroupeError(
        'BAD_ARGUMENT',
        `bad factory for "${kind}": expected (key) => ({ receive(msg, ctx) { ... } })`,
      )
    }
    const idleMs = options.idleMs ?? DEFAULTS.entityIdleMs
    assertPositiveNumber('idleMs', idleMs)
    this.host.define(kind, factory as EntityFactory, idleMs)
    this.node.hostKind(kind, options.clients === true)
  }

  defines(kind: string): boolean {
    return this.host.defines(kind)
  }

  ref(kind: string, key: string): EntityRef {
    assertKind(kind)
    if (typeof key !== 'string' || key.length === 0 || key.length > MAX_KEY_LENGTH) {
      throw new TroupeError(
        'BAD_ARGUMENT',
        `bad entity key ${JSON.stringify(key)}: use 1-${MAX_KEY_LENGTH} characters`,
      )
    }
    return new EntityRef(this, kind, key)
  }

  /** Where `key` of `kind` lives, by this node's view of the members. */
  ownerOf(kind: string, key: string, except?: string): string | undefined {
    const hosts = this.node.hostsOf(kind).filter((host) => host !== except)
    return rendezvousOwner(`${kind}\u0000${key}`, hosts)
  }

  /** A letter for `entity:<kind>` on this node. */
  deliver(letter: Letter): void {
    this.host.deliver(letter)
  }

  sendEntity(kind: string, key: string, message: unknown, options: SendOptions | undefined): boolean {
    const ttlMs = options?.ttlMs ?? this.node.holdTtlMs
    this.askEntity(kind, key, message, { timeoutMs: Math.max(ttlMs, 1) }).catch((error: unknown) => {
      // a handler that failed is reported where it ran; anything else ends here as a dead letter
      if (isTroupeError(error, 'HANDLER_ERROR') || isTroupeError(error, 'CLOSED')) return
      const reason = isTroupeError(error) && error.reason !== undefined ? error.reason : 'ttl-expired'
      const letter = {
        to: entityAddress(kind, key),
        from: undefined,
        message,
        askId: 0,
        origin: this.node.id,
      }
      this.node.deadLetter(letter, reason, (error as Error).message)
    })
    return true
  }

  askEntity(kind: string, key: string, message: unknown, options: AskOptions | undefined): Promise<unknown> {
    prepareValue(message, 'message')
    const timeoutMs = options?.timeoutMs ?? this.node.askTimeoutMs
    assertPositiveNumber('timeoutMs', timeoutMs)
    return this.askWith(kind, [key, randomId(), message], timeoutMs)
  }

  /**
   * Asks the entity of `envelope` wherever it lives: an ask that follows the
   * entity when its owner goes down (the envelope's id keeps a second
   * delivery from applying it twice).
   */
  private askWith(
    kind: string,
    envelope: EntityEnvelope,
    timeoutMs: number,
    carried?: string,
  ): Promise<unknown> {
    const key = envelope[0]
    const owner = this.ownerOf(kind, key) ?? this.node.fallback() ?? ''
    const address = entityAddress(kind, key)
    // a forwarded ask keeps the trace it came with; a new one starts a span if there is a trace
    const span = carried === undefined ? this.node.tracing?.outgoing('ask', address, undefined) : undefined
    const entity = { kind, key, from: undefined, message: envelope, trace: carried ?? span?.context }
    const { id, promise } = this.node.asks.open(address, owner, timeoutMs, true, entity)
    if (span !== undefined)
      promise.then(
        () => span.end(),
        (error: unknown) => span.end(error),
      )
    if (owner !== '') this.send(id, entity, owner, timeoutMs)
    else this.node.clock.setTimeout(() => this.noHost(id, kind), this.node.unknownKindGraceMs)
    return promise
  }

  /** `node` is down or gone: what was asked of entities there goes to their next owners; returns those asks. */
  ownerLost(node: string): Set<number> {
    const moved = new Set<number>()
    for (const { id, entity } of this.node.asks.entityAsksTo(node)) {
      const owner = this.ownerOf(entity.kind, entity.key, node) ?? ''
      this.node.asks.retarget(id, owner)
      moved.add(id)
      if (owner !== '') this.send(id, entity, owner, this.node.holdTtlMs)
    }
    return moved
  }

  /** Members changed: keys move to their new owners, and asks that had no owner get one. */
  membershipChanged(): void {
    this.host.rebalance()
    for (const { id, entity } of this.node.asks.entityAsksTo('')) {
      const owner = this.ownerOf(entity.kind, entity.key) ?? this.node.fallback()
      if (owner === undefined) continue
      this.node.asks.retarget(id, owner)
      this.send(id, entity, owner, this.node.holdTtlMs)
    }
  }

  close(): Promise<void> {
    return this.host.close()
  }

  private send(askId: number, entity: EntityAsk, owner: string, ttlMs: number): void {
    const letter: Letter = {
      to: `${ENTITY_PREFIX}${entity.kind}@${owner}`,
      from: entity.from,
      message: entity.message,
      askId,
      origin: this.node.id,
      trace: entity.trace,
    }
    this.node.route(letter, ttlMs)
  }

  /** Nobody hosts the kind, after a grace for a host that is just joining: the ask fails. */
  private noHost(id: number, kind: string): void {
    const [still] = this.node.asks.entityAsksTo('').filter((ask) => ask.id === id)
    if (still === undefined) return
    if (this.node.isClient && this.node.fallback() === undefined) {
      // a client linked to no hub cannot know who hosts the kind: the ask waits for a hub (or its timeout)
      this.node.clock.setTimeout(() => this.noHost(id, kind), this.node.unknownKindGraceMs)
      return
    }
    this.node.asks.fail(
      id,
      new TroupeError('NO_SUCH_KIND', `no node hosts entities of kind "${kind}"`, { reason: 'no-such-kind' }),
    )
  }

  /** Asks the owner for the letter's asker, and answers it: this node does not own the key. */
  private forward(letter: Letter): void {
    const kind = letter.to.slice(ENTITY_PREFIX.length, letter.to.indexOf('@'))
    this.askWith(kind, letter.message as EntityEnvelope, this.node.holdTtlMs, letter.trace).then(
      (value) => this.node.reply(letter, value),
      (error: unknown) =>
        this.node.fail(
          letter,
          isTroupeError(error) ? error : new TroupeError('UNDELIVERABLE', String(error), { cause: error }),
        ),
    )
  }
}

function assertKind(kind: string): void {
  if (typeof kind !== 'string' || !KIND.test(kind)) {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad entity kind ${JSON.stringify(kind)}: use 1-64 letters, digits, "_", "." or "-"`,
    )
  }
}
