import type { Address } from '../address.js'
import { rendezvousOwner } from '../placement/rendezvous.js'

/**
 * How a group picks the member for a `send` or an `ask`:
 * - `least-loaded` (the default): the member with the fewest of this node's
 *   asks in flight plus messages waiting in its mailbox (as its node last
 *   reported); ties go round-robin. A slow member keeps work longer, so it
 *   gets less of it.
 * - `round-robin`: each member in turn.
 * - `random`: any member.
 * - `consistent-hash`: the member that the message's key (from the group's
 *   `key` function) hashes to; a key stays with its member while the members
 *   stay the same (sticky routing).
 */
export type GroupStrategy = 'least-loaded' | 'round-robin' | 'random' | 'consistent-hash'

export const GROUP_STRATEGIES: readonly GroupStrategy[] = [
  'least-loaded',
  'round-robin',
  'random',
  'consistent-hash',
]

/** What a strategy reads of the members. @internal */
export interface PickContext {
  /** A member's load: asks from here in flight to it plus its reported mailbox depth. */
  load(member: Address): number
  random(): number
}

/**
 * Picks one of `members` (sorted, never empty). `turn` counts the picks of the
 * group so far; `key` is the message's key for `consistent-hash`.
 * @internal
 */
export function pick(
  strategy: GroupStrategy,
  members: readonly Address[],
  turn: number,
  key: string | undefined,
  context: PickContext,
): Address {
  switch (strategy) {
    case 'round-robin':
      return members[turn % members.length]!
    case 'random':
      return members[Math.floor(context.random() * members.length)]!
    case 'consistent-hash':
      return rendezvousOwner(key ?? '', members)!
    case 'least-loaded': {
      let best: Address[] = []
      let bestLoad = Number.POSITIVE_INFINITY
      for (const member of members) {
        const load = context.load(member)
        if (load < bestLoad) {
          bestLoad = load
          best = [member]
        } else if (load === bestLoad) best.push(member)
      }
      return best[turn % best.length]!
    }
  }
}
