import type { ActorRef, AskOptions, SendOptions } from '../actor/actorRef.js'
import { REF_ADDRESS } from '../wire/values.js'

/** What an entity ref needs from its node. @internal */
export interface EntityRouter {
  sendEntity(kind: string, key: string, message: unknown, options: SendOptions | undefined): boolean
  askEntity(kind: string, key: string, message: unknown, options: AskOptions | undefined): Promise<unknown>
}

/** The address an entity ref crosses the wire as (not a node's: entities move). */
export const entityAddress = (kind: string, key: string): string => `entity:${kind}:${key}`

/** Kind and key of an entity address, if it is one. @internal */
export function parseEntityAddress(address: string): { kind: string; key: string } | undefined {
  if (!address.startsWith('entity:')) return undefined
  const at = address.indexOf(':', 7)
  return at === -1 ? undefined : { kind: address.slice(7, at), key: address.slice(at + 1) }
}

/**
 * A ref to an entity (a virtual actor): `kind` and `key` name it, and the
 * cluster decides where it lives. Its `address` is `entity:<kind>:<key>` and
 * its `nodeId` is empty: it is on no node in particular.
 * @internal
 */
export class EntityRef implements ActorRef {
  readonly nodeId = ''

  constructor(
    private readonly router: EntityRouter,
    readonly kind: string,
    readonly key: string,
  ) {}

  get address(): string {
    return entityAddress(this.kind, this.key)
  }

  get name(): string {
    return this.address
  }

  send(message: unknown, options?: SendOptions): boolean {
    return this.router.sendEntity(this.kind, this.key, message, options)
  }

  ask(message: unknown, options?: AskOptions): Promise<unknown> {
    return this.router.askEntity(this.kind, this.key, message, options)
  }

  get [REF_ADDRESS](): string {
    return this.address
  }

  toString(): string {
    return this.address
  }

  toJSON(): string {
    return this.address
  }
}
