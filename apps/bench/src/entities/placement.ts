/**
 * Where the cluster places a key, computed by the driver: the same rendezvous
 * hashing the nodes use (core's `rendezvousOwner`, loaded from its source at
 * run time, as `soak` loads the chaos driver, so this package's typecheck
 * stays inside its rootDir). Checked against the owners that answered before
 * the benchmark relies on it.
 */

const RENDEZVOUS = new URL('../../../../packages/core/src/placement/rendezvous.ts', import.meta.url).href

interface RendezvousModule {
  rendezvousOwner(item: string, candidates: Iterable<string>): string | undefined
}

/** The owner of `key` of `kind` among the hubs `hosts`, as every node computes it. */
export type Placement = (key: string, hosts: readonly string[]) => string

/** Loads the placement of entities of `kind` (the item hashed is `kind\0key`, as in core's `Entities.ownerOf`). */
export async function loadPlacement(kind: string): Promise<Placement> {
  const { rendezvousOwner } = (await import(RENDEZVOUS)) as RendezvousModule
  return (key, hosts) => {
    const owner = rendezvousOwner(`${kind}\u0000${key}`, hosts)
    if (owner === undefined) throw new Error(`no owner for "${key}" among no hosts`)
    return owner
  }
}

/** The owner of every key in `keys`. */
export function ownersOf(placement: Placement, keys: readonly string[], hosts: readonly string[]) {
  return Object.fromEntries(keys.map((key) => [key, placement(key, hosts)]))
}

/**
 * Throws unless every key answered from the owner `placement` gives it: the
 * benchmark's idea of placement must be the cluster's.
 */
export function checkPlacement(
  expected: Record<string, string>,
  answered: Record<string, string>,
  what: string,
): void {
  const wrong = Object.keys(expected).filter((key) => answered[key] !== expected[key])
  if (wrong.length > 0) {
    const key = wrong[0]!
    throw new Error(
      `${what}: ${wrong.length} of ${Object.keys(expected).length} keys answered from another node than placement says (e.g. "${key}": ${answered[key] ?? 'no answer'}, expected ${expected[key]})`,
    )
  }
}
