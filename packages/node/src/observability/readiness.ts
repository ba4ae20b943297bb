import type { Node } from '@troupe/core'

/** Whether a hub should get traffic, and if not, why. */
export type Readiness = { readonly ready: true } | { readonly ready: false; readonly reason: string }

/**
 * The readiness of one hub for orchestrators (`GET /readyz`): not ready while
 * it starts, ready once it has joined (it listens, and it has a link up to
 * another hub, or has no seeds but itself), and not ready again from the
 * moment `close()` is called. Once joined it stays ready while hub links come
 * and go: a partition between hubs must not take every hub out of service.
 * @internal
 */
export class ReadinessState {
  private node: Node | undefined
  private joined = false
  private closing = false

  constructor(private readonly seeds: readonly string[]) {}

  /** The node has started (createNode resolved). */
  started(node: Node): void {
    this.node = node
  }

  /** `close()` was called: the hub is on its way out. */
  closeStarted(): void {
    this.closing = true
  }

  get current(): Readiness {
    if (this.closing) return { ready: false, reason: 'closing' }
    const node = this.node
    if (node === undefined) return { ready: false, reason: 'starting' }
    if (!this.joined) {
      const seeds = this.seeds.filter((url) => url !== node.url)
      this.joined = seeds.length === 0 || hasHubLink(node)
      if (!this.joined)
        return { ready: false, reason: `no link to another hub yet (seeds: ${seeds.join(', ')})` }
    }
    return { ready: true }
  }
}

function hasHubLink(node: Node): boolean {
  const peers = node.metrics().peers
  return node
    .members()
    .some((member) => member.role === 'hub' && member.id !== node.id && peers[member.id]?.connected)
}
