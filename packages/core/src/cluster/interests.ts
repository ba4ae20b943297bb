/** Most nodes a hub tracks for one client; past it, the client learns of further nodes only when sending to them fails. */
const MAX_INTERESTS_PER_CLIENT = 1_024

/**
 * Which nodes each of a hub's clients talks to. A client does not get the
 * whole member table: it learns of the hubs and, through this registry, of
 * the nodes it sends to (when they go down, come back or move), so its asks
 * fail fast and its held messages go out again.
 * @internal
 */
export class Interests {
  private readonly byClient = new Map<string, Set<string>>()
  private readonly byNode = new Map<string, Set<string>>()

  /** Notes that `client` sends to `node`; true if that is new. */
  add(client: string, node: string): boolean {
    const nodes = this.byClient.get(client) ?? new Set<string>()
    if (nodes.has(node) || nodes.size >= MAX_INTERESTS_PER_CLIENT) return false
    this.byClient.set(client, nodes.add(node))
    this.byNode.set(node, (this.byNode.get(node) ?? new Set<string>()).add(client))
    return true
  }

  /** The clients that send to `node`. */
  clientsOf(node: string): ReadonlySet<string> {
    return this.byNode.get(node) ?? EMPTY
  }

  /** Forgets everything about `id`, as a client and as a node sent to. */
  forget(id: string): void {
    for (const node of this.byClient.get(id) ?? EMPTY) removeFrom(this.byNode, node, id)
    this.byClient.delete(id)
    for (const client of this.byNode.get(id) ?? EMPTY) removeFrom(this.byClient, client, id)
    this.byNode.delete(id)
  }
}

function removeFrom(index: Map<string, Set<string>>, key: string, value: string): void {
  const set = index.get(key)
  if (set === undefined) return
  set.delete(value)
  if (set.size === 0) index.delete(key)
}

const EMPTY: ReadonlySet<string> = new Set()
