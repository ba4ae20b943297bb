/**
 * Rendezvous (highest random weight) hashing: the owner of `item` among
 * `candidates` is the one whose hash with the item is highest. Every node
 * computes the same owner from the same members, with no directory; a node
 * that joins takes only the items it now wins, and one that leaves gives
 * away only its own.
 * @internal
 */
export function rendezvousOwner(item: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined
  let bestScore = -1
  for (const candidate of candidates) {
    const score = hash32(`${candidate}\u0000${item}`)
    // ties (rare) go to the smaller id, so every node breaks them alike
    if (score > bestScore || (score === bestScore && best !== undefined && candidate < best)) {
      best = candidate
      bestScore = score
    }
  }
  return best
}

/** MurmurHash3's 32-bit finalizer over FNV-1a of the UTF-16 code units: fast, and well spread. */
function hash32(text: string): number {
  let h = 0x811c9dc5
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i)
    h = Math.imul(h, 0x01000193)
  }
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}
