import { TroupeError } from '../errors.js'
import { queueMicrotask } from '../host.js'
import type { NodeGroups } from './groupDirectory.js'
import { MAX_GROUP_ENTRIES } from './names.js'

/**
 * The groups this node's actors are in. Every change makes a new revision of
 * the node's list; changes made in one turn are published once.
 * @internal
 */
export class OwnGroups {
  /** actor name → its groups */
  private readonly byActor = new Map<string, Set<string>>()
  private size = 0
  private rev = 0
  private scheduled = false

  constructor(
    private readonly node: string,
    private readonly incarnation: number,
    private readonly publish: (list: NodeGroups) => void,
  ) {}

  join(group: string, actor: string): void {
    const groups = this.byActor.get(actor) ?? new Set<string>()
    if (groups.has(group)) return
    if (this.size >= MAX_GROUP_ENTRIES) {
      throw new TroupeError(
        'BAD_ARGUMENT',
        `cannot join "${group}": node "${this.node}" has ${MAX_GROUP_ENTRIES} group memberships already`,
      )
    }
    this.byActor.set(actor, groups.add(group))
    this.size++
    this.changed()
  }

  leave(group: string, actor: string): void {
    const groups = this.byActor.get(actor)
    if (groups === undefined || !groups.delete(group)) return
    if (groups.size === 0) this.byActor.delete(actor)
    this.size--
    this.changed()
  }

  /** `actor` stopped: it leaves every group. */
  leaveAll(actor: string): void {
    const groups = this.byActor.get(actor)
    if (groups === undefined) return
    this.byActor.delete(actor)
    this.size -= groups.size
    this.changed()
  }

  /** The actors in any group. */
  actors(): IterableIterator<string> {
    return this.byActor.keys()
  }

  list(): NodeGroups {
    const entries: string[] = []
    for (const [actor, groups] of this.byActor) for (const group of groups) entries.push(group, actor)
    return { node: this.node, incarnation: this.incarnation, rev: this.rev, entries }
  }

  private changed(): void {
    this.rev++
    if (this.scheduled) return
    this.scheduled = true
    queueMicrotask(() => {
      this.scheduled = false
      this.publish(this.list())
    })
  }
}
