import { ActorCell } from '../actor/actorCell.js'
import type { ActorHost } from '../actor/actorHost.js'
import type { ActorRef, Ref } from '../actor/actorRef.js'
import type { BehaviorSource } from '../actor/behavior.js'
import type { Letter } from '../actor/letter.js'
import { assertBehavior, assertSpawnOptions, type SpawnOptions } from '../actor/spawnOptions.js'
import { assertActorName } from '../address.js'
import { TroupeError } from '../errors.js'

/**
 * The actors living on one node, by name: spawning (names checked, one live
 * actor per name), handing letters to their mailboxes, stopping them.
 * @internal
 */
export class LocalActors {
  private readonly cells = new Map<string, ActorCell>()
  /** Letters queued into mailboxes. */
  delivered = 0

  constructor(private readonly host: ActorHost) {}

  get size(): number {
    return this.cells.size
  }

  spawn<M, R>(
    name: string,
    behavior: BehaviorSource<M, R>,
    options: SpawnOptions | undefined,
    parent: ActorCell | undefined,
  ): ActorRef<M, R> {
    if (parent !== undefined && name.includes('/')) {
      throw new TroupeError('BAD_ADDRESS', `bad child name ${JSON.stringify(name)}: "/" is not allowed`)
    }
    const fullName = parent === undefined ? name : `${parent.name}/${name}`
    assertActorName(fullName)
    if (this.cells.has(fullName)) {
      throw new TroupeError(
        'DUPLICATE_NAME',
        `an actor named "${fullName}" is already running on node "${this.host.id}"`,
      )
    }
    assertBehavior(fullName, behavior)
    assertSpawnOptions(options)
    const cell = new ActorCell(this.host, fullName, behavior as BehaviorSource, options, parent)
    this.cells.set(fullName, cell)
    parent?.children.add(cell)
    return cell.ref as ActorRef<M, R>
  }

  /** The cell behind a ref this node spawned. */
  cellOf(ref: ActorRef): ActorCell {
    return (ref as Ref).cell!
  }

  /** Messages waiting in the mailbox of `name`; undefined if no such actor is alive. */
  depthOf(name: string): number | undefined {
    return this.cells.get(name)?.depth
  }

  /** Messages waiting in all mailboxes, and in the fullest. */
  mailboxes(): { queued: number; maxQueued: number } {
    let queued = 0
    let maxQueued = 0
    for (const cell of this.cells.values()) {
      queued += cell.depth
      if (cell.depth > maxQueued) maxQueued = cell.depth
    }
    return { queued, maxQueued }
  }

  /** Whether the mailbox of `name` is full (a message now would overflow it). */
  isFull(name: string): boolean {
    return this.cells.get(name)?.isFull === true
  }

  /** Into the mailbox of `name` (found through `ref` when it points at a live actor); false if not queued. */
  deliver(name: string, ref: Ref | undefined, letter: Letter): boolean {
    let cell = ref?.cell
    if (cell === undefined || cell.isStopped) cell = this.cells.get(name)
    if (cell === undefined) {
      this.host.deadLetter(letter, 'no-such-actor')
      return false
    }
    if (!cell.enqueue(letter)) return false
    this.delivered++
    return true
  }

  /** Stops `name` and its children; resolves once its `stopped` hook has run. */
  async stop(name: string): Promise<void> {
    await this.cells.get(name)?.stop()
  }

  /** Stops every actor, children first. */
  async stopAll(): Promise<void> {
    const topLevel = [...this.cells.values()].filter((cell) => cell.parent === undefined)
    await Promise.all(topLevel.map((cell) => cell.stop()))
  }

  unregister(cell: ActorCell): void {
    if (this.cells.get(cell.name) === cell) this.cells.delete(cell.name)
    cell.parent?.children.delete(cell)
  }
}
