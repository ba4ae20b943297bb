import type { ActorCell } from '../actor/actorCell.js'
import type { Behavior } from '../actor/behavior.js'
import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { Letter } from '../actor/letter.js'
import type { Clock, TimerHandle } from '../clock.js'
import { TroupeError } from '../errors.js'
import type { Lease, Storage } from '../storage/storage.js'
import { Activation, type EntityEnvelope, emptyRecord, storageKeyOf } from './activation.js'
import type { EntityContext, EntityFactory } from './entityTypes.js'

/** The actor-name prefix of the entity hosts of a node: `entity:<kind>@<node>`. @internal */
export const ENTITY_PREFIX = 'entity:'

/** Letters waiting for one key's activation, at most. */
const MAX_PENDING = 1_024

/** What the entity host needs from its node. @internal */
export interface EntityHostNode {
  readonly id: string
  readonly clock: Clock
  /** This run of this node, as a lease owner and record writer. */
  readonly owner: string
  readonly storage: Storage | undefined
  readonly leaseMs: number
  readonly maxStateBytes: number
  /** Whether node `id` is up (or suspect), by this node's view. */
  isAlive(id: string): boolean
  /** Where `key` of `kind` lives now, by this node's view of the members. */
  ownerOf(kind: string, key: string): string | undefined
  spawnActivation(name: string, behavior: () => Behavior): ActorCell
  entityRef(kind: string, key: string): EntityContext['self']
  /** Asks the key's owner for the letter's asker and answers it (this node does not own the key). */
  forward(letter: Letter): void
  deadLetter(letter: Letter, reason: DeadLetterReason, detail?: string): void
  /** Fails the ask of `letter` (or reports the send) with `error`. */
  fail(letter: Letter, error: TroupeError): void
}

interface Definition {
  factory: EntityFactory
  idleMs: number
}

/** Counters of the entities hosted here, for `node.metrics()`. */
export interface EntityMetrics {
  /** Entities active on this node now. */
  active: number
  /** Activations so far. */
  activated: number
  /** Of those, activations that took over a key last saved by another node. */
  failovers: number
  passivated: number
  /** Messages passed on to the key's owner because this node does not own it. */
  forwarded: number
  /** Activations stopped because another activation took their key over. */
  fenced: number
}

/**
 * The entities a node hosts: the kinds it defined, and one activation per key
 * it owns that has had a message. An activation starts on the first message
 * (lease taken, state read, and a write that fences out any earlier
 * activation), is kept alive by lease renewals, and is passivated when idle or
 * when placement moves its key to another node. Messages for a key this node
 * does not own are passed on to the owner.
 * @internal
 */
export class EntityHost {
  private readonly kinds = new Map<string, Definition>()
  private readonly active = new Map<string, Activation>()
  private readonly pending = new Map<string, Letter[]>()
  private timer: TimerHandle | undefined
  private serial = 0
  private closed = false
  readonly counters: Omit<EntityMetrics, 'active'> = {
    activated: 0,
    failovers: 0,
    passivated: 0,
    forwarded: 0,
    fenced: 0,
  }

  constructor(private readonly node: EntityHostNode) {}

  get metrics(): EntityMetrics {
    return { active: this.active.size, ...this.counters }
  }

  defines(kind: string): boolean {
    return this.kinds.has(kind)
  }

  define(kind: string, factory: EntityFactory, idleMs: number): void {
    if (this.node.storage === undefined) {
      throw new TroupeError(
        'BAD_ARGUMENT',
        `cannot define "${kind}": this node has no storage (createNode({ storage }))`,
      )
    }
    if (this.kinds.has(kind))
      throw new TroupeError('DUPLICATE_NAME', `entity kind "${kind}" is defined already`)
    this.kinds.set(kind, { factory, idleMs })
    this.timer ??= this.node.clock.setTimeout(() => void this.tick(), this.node.leaseMs / 3)
  }

  /** A letter for `entity:<kind>` on this node. */
  deliver(letter: Letter): void {
    const kind = letter.to.slice(ENTITY_PREFIX.length, letter.to.indexOf('@'))
    const message = letter.message as EntityEnvelope
    if (!Array.isArray(message) || typeof message[0] !== 'string' || typeof message[1] !== 'number') {
      this.node.deadLetter(letter, 'unencodable', 'not an entity message')
      return
    }
    const key = message[0]
    const owner = this.node.ownerOf(kind, key)
    if (owner === undefined) {
      this.node.deadLetter(letter, 'no-such-kind', `no node hosts entities of kind "${kind}"`)
      return
    }
    if (owner !== this.node.id || !this.kinds.has(kind) || this.closed) {
      this.counters.forwarded++
      this.node.forward(letter)
      return
    }
    const storageKey = storageKeyOf(kind, key)
    const activation = this.active.get(storageKey)
    if (activation !== undefined) {
      activation.moving = false // it was to move, but the key is this node's again
      this.hand(activation, letter)
      return
    }
    const waiting = this.pending.get(storageKey)
    if (waiting !== undefined) {
      if (waiting.length < MAX_PENDING) waiting.push(letter)
      else this.node.deadLetter(letter, 'queue-full', `entity ${kind}/${key} is still activating`)
      return
    }
    this.pending.set(storageKey, [letter])
    void this.activate(kind, key)
  }

  /** Membership changed: keys that now belong to another node move there once their activation is idle. */
  rebalance(): void {
    for (const activation of this.active.values()) {
      if (this.node.ownerOf(activation.kind, activation.key) !== this.node.id) activation.moving = true
    }
    void this.passivateIdle(this.node.clock.now())
  }

  /** Passivates every activation (the node is closing). */
  async close(): Promise<void> {
    this.closed = true
    if (this.timer !== undefined) this.node.clock.clearTimeout(this.timer)
    await Promise.all([...this.active.values()].map((activation) => this.passivate(activation)))
  }

  private hand(activation: Activation, letter: Letter): void {
    activation.busy++
    activation.lastUsed = this.node.clock.now()
    if (!activation.cell!.enqueue(letter)) activation.busy--
  }

  private async activate(kind: string, key: string): Promise<void> {
    const storage = this.node.storage!
    const storageKey = storageKeyOf(kind, key)
    const { owner } = this.node
    try {
      // the previous owner's lease must expire (or be released) first: wait for it
      let lease: Lease | undefined = await storage.acquire(storageKey, owner, this.node.leaseMs)
      while (lease === undefined) {
        if (this.closed || this.node.ownerOf(kind, key) !== this.node.id) return this.handBack(storageKey)
        await new Promise<void>((resolve) => this.node.clock.setTimeout(resolve, 50))
        lease = await storage.acquire(storageKey, owner, this.node.leaseMs)
      }
      let saved = await storage.read(storageKey)
      let value = saved?.value ?? emptyRecord(owner)
      // a write of what was read takes the revision: an earlier activation still writing is fenced out
      let revision = await storage.write(storageKey, value, saved?.revision ?? 0)
      while (revision === undefined) {
        saved = await storage.read(storageKey)
        value = saved?.value ?? emptyRecord(owner)
        revision = await storage.write(storageKey, value, saved?.revision ?? 0)
      }
      const activation = new Activation(
        this.hostFor(),
        kind,
        key,
        lease,
        revision,
        value,
        this.node.clock.now(),
      )
      // a key last saved by a node that is gone now was failed over; one whose owner is up just moved
      const by = activation.record.by.slice(0, activation.record.by.lastIndexOf(':'))
      if (saved !== undefined && activation.record.by !== owner && !this.node.isAlive(by))
        this.counters.failovers++
      const name = `${ENTITY_PREFIX}${kind}/e${++this.serial}`
      const definition = this.kinds.get(kind)!
      activation.cell = this.node.spawnActivation(
        name,
        activation.behavior(definition.factory, () => this.node.entityRef(kind, key)),
      )
      this.active.set(storageKey, activation)
      this.counters.activated++
      const letters = this.pending.get(storageKey) ?? []
      this.pending.delete(storageKey)
      for (const letter of letters) this.hand(activation, letter)
    } catch (error) {
      const letters = this.pending.get(storageKey) ?? []
      this.pending.delete(storageKey)
      const failure =
        error instanceof TroupeError
          ? error
          : new TroupeError('STORAGE', `cannot activate entity ${kind}/${key}: ${(error as Error).message}`, {
              cause: error,
            })
      for (const letter of letters) this.node.fail(letter, failure)
    }
  }

  /** Letters that waited for an activation this node will not make after all: to the owner. */
  private handBack(storageKey: string): void {
    const letters = this.pending.get(storageKey) ?? []
    this.pending.delete(storageKey)
    for (const letter of letters) this.deliver(letter)
  }

  private hostFor() {
    return {
      storage: this.node.storage!,
      owner: this.node.owner,
      maxStateBytes: this.node.maxStateBytes,
      fenced: (activation: Activation) => {
        this.counters.fenced++
        this.active.delete(activation.storageKey)
        void activation.cell?.stop()
      },
    }
  }

  private async tick(): Promise<void> {
    this.timer = undefined
    if (this.closed) return
    const now = this.node.clock.now()
    const storage = this.node.storage!
    const activations = [...this.active.values()]
    const renewed = await renewLeases(
      storage,
      activations.map((activation) => activation.lease),
      this.node.leaseMs,
    )
    activations.forEach((activation, i) => {
      const lease = renewed[i]
      if (lease !== undefined) activation.lease = lease
      else if (this.active.get(activation.storageKey) === activation) {
        // the lease is gone: another node may activate this key now, so this one must not write again
        this.counters.fenced++
        this.active.delete(activation.storageKey)
        void activation.cell?.stop()
      }
    })
    if (this.closed) return
    // not after the passivations: thousands of entities moving away at a join take seconds to stop, and
    // every lease left here would lapse meanwhile
    this.timer = this.node.clock.setTimeout(() => void this.tick(), this.node.leaseMs / 3)
    void this.passivateIdle(now)
  }

  private async passivateIdle(now: number): Promise<void> {
    const idle = [...this.active.values()].filter((activation) => {
      const idleMs = this.kinds.get(activation.kind)?.idleMs ?? 0
      return activation.busy === 0 && (activation.moving || now - activation.lastUsed >= idleMs)
    })
    await Promise.all(idle.map((activation) => this.passivate(activation)))
  }

  private async passivate(activation: Activation): Promise<void> {
    if (this.active.get(activation.storageKey) !== activation) return
    this.active.delete(activation.storageKey)
    this.counters.passivated++
    await activation.cell?.stop()
    await this.node.storage!.release(activation.lease).catch(() => undefined)
  }
}

/** Renews `leases`, in one call if the engine can; a lease that could not be renewed is `undefined`. */
async function renewLeases(
  storage: Storage,
  leases: readonly Lease[],
  ttlMs: number,
): Promise<Array<Lease | undefined>> {
  if (leases.length === 0) return []
  if (storage.renewAll !== undefined) {
    const renewed = await storage.renewAll(leases, ttlMs).catch(() => undefined)
    if (renewed !== undefined) return renewed
  }
  return Promise.all(leases.map((lease) => storage.renew(lease, ttlMs).catch(() => undefined)))
}
