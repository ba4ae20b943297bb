import type { ActorCell } from '../actor/actorCell.js'
import type { Behavior } from '../actor/behavior.js'
import type { ActorContext } from '../actor/context.js'
import { TroupeError } from '../errors.js'
import type { Lease, Storage } from '../storage/storage.js'
import { decodeValue, encodeValue } from '../wire/values.js'
import type { EntityBehavior, EntityContext, EntityFactory } from './entityTypes.js'

/** How many applied message ids an entity remembers (with their replies), to answer a redelivery without applying it again. */
export const APPLIED_MEMORY = 256

/** What is saved of an entity: its state, the latest messages applied (id, reply), and who wrote it. */
export interface EntityRecord {
  state: Record<string, unknown>
  applied: Array<[id: number, reply: unknown]>
  by: string
}

/** An entity message on the wire: `[key, id, message]`; `id` tells a redelivery from a new message. @internal */
export type EntityEnvelope = [key: string, id: number, message: unknown]

/** What an activation needs from its host. @internal */
export interface ActivationHost {
  readonly storage: Storage
  /** This node, as the writer of records. */
  readonly owner: string
  readonly maxStateBytes: number
  /** The activation's lease was refused a write: another activation took over. It stops. */
  fenced(activation: Activation): void
}

/**
 * One activation of one entity on this node: it holds the lease, the saved
 * record and its revision, and runs the entity's behavior in an actor cell
 * whose handler saves the state after each message that changed it, before
 * the reply leaves, and answers a redelivered message from the record rather
 * than applying it again.
 * @internal
 */
export class Activation {
  cell: ActorCell | undefined
  record: EntityRecord
  /** Letters handed to the cell and not finished yet. */
  busy = 0
  lastUsed: number
  /** Placement moved the key away: passivate once idle. */
  moving = false

  constructor(
    private readonly host: ActivationHost,
    readonly kind: string,
    readonly key: string,
    public lease: Lease,
    private revision: number,
    private saved: Uint8Array,
    now: number,
  ) {
    this.record = decodeValue(saved) as EntityRecord
    this.lastUsed = now
  }

  get storageKey(): string {
    return storageKeyOf(this.kind, this.key)
  }

  /** The actor behavior that runs `factory`'s entity with saved state. */
  behavior(factory: EntityFactory, ref: () => EntityContext['self']): () => Behavior {
    return () => {
      const entity = factory(this.key)
      return {
        started: (ctx) => entity.started?.(this.context(ctx, this.copyState(), [], ref)),
        stopped: (ctx) => entity.stopped?.(this.context(ctx, this.copyState(), [], ref)),
        receive: async (message, ctx) => {
          try {
            await this.handle(entity, message as EntityEnvelope, ctx, ref)
          } finally {
            this.busy--
          }
        },
      }
    }
  }

  private async handle(
    entity: EntityBehavior,
    [, id, message]: EntityEnvelope,
    ctx: ActorContext,
    ref: () => EntityContext['self'],
  ): Promise<void> {
    const done = this.record.applied.find(([applied]) => applied === id)
    if (done !== undefined) {
      ctx.reply(done[1]) // a redelivery: its effect is in the saved state already
      return
    }
    const draft = this.copyState()
    const replies: unknown[] = []
    await entity.receive(message, this.context(ctx, draft, replies, ref))
    const reply = replies[0]
    const next: EntityRecord = {
      state: draft,
      applied: [...this.record.applied.slice(-(APPLIED_MEMORY - 1)), [id, reply]],
      by: this.host.owner,
    }
    if (!this.stateChanged(draft)) {
      if (replies.length > 0) ctx.reply(reply)
      return
    }
    const bytes = encodeValue(next) // unsendable state throws here: the message fails, the state stays
    if (bytes.byteLength > this.host.maxStateBytes) {
      throw new TroupeError(
        'TOO_LARGE',
        `the state of entity ${this.kind}/${this.key} would be ${bytes.byteLength} bytes, over the limit of ${this.host.maxStateBytes}`,
      )
    }
    const revision = await this.host.storage.write(this.storageKey, bytes, this.revision)
    if (revision === undefined) {
      this.host.fenced(this)
      throw new TroupeError(
        'STORAGE',
        `entity ${this.kind}/${this.key} was taken over by another activation: this one stops, its change unsaved`,
      )
    }
    this.revision = revision
    this.saved = bytes
    this.record = next
    if (replies.length > 0) ctx.reply(reply)
  }

  private copyState(): Record<string, unknown> {
    return (decodeValue(this.saved) as EntityRecord).state
  }

  private stateChanged(draft: Record<string, unknown>): boolean {
    const before = encodeValue(this.record.state)
    const after = encodeValue(draft)
    return before.byteLength !== after.byteLength || before.some((byte, i) => byte !== after[i])
  }

  private context(
    ctx: ActorContext,
    state: Record<string, unknown>,
    replies: unknown[],
    ref: () => EntityContext['self'],
  ): EntityContext {
    const { kind, key } = this
    return {
      kind,
      key,
      state,
      get self() {
        return ref()
      },
      get sender() {
        return ctx.sender
      },
      reply: (value) => void replies.push(value),
      send: (target: never, message: unknown, options?: never) => ctx.send(target, message as never, options),
      ask: (target: never, message: unknown, options?: never) => ctx.ask(target, message as never, options),
    } as EntityContext
  }
}

/** Where an entity's record and lease live in storage. @internal */
export function storageKeyOf(kind: string, key: string): string {
  return `${kind}:${key}`
}

/** The record of an entity never saved. @internal */
export function emptyRecord(owner: string): Uint8Array {
  return encodeValue({ state: {}, applied: [], by: owner } satisfies EntityRecord)
}
