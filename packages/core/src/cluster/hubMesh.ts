import type { Clock } from '../clock.js'
import type { Backoff } from '../link/backoff.js'
import { HandshakeClosedError } from '../link/handshake.js'
import type { PeerLink } from '../link/peerLink.js'
import { FINAL_CLOSE_CODES } from '../transport/transport.js'
import type { MemberRecord } from '../wire/envelope.js'

/** What a hub's mesh needs from its cluster. @internal */
export interface MeshHost {
  readonly selfId: string
  readonly clock: Clock
  readonly seeds: readonly string[]
  /** The URL this hub is reached at (a seed list may name it). */
  ownUrl(): string | undefined
  isClosed(): boolean
  readonly links: ReadonlyMap<string, PeerLink>
  linkOf(id: string): PeerLink
  idOfUrl(url: string): string | undefined
  /** Every hub in the member table, this one included. */
  hubs(): Iterable<MemberRecord>
  /** Dials `url` and attaches the link. */
  dial(url: string): Promise<PeerLink | undefined>
  /** Where hub `id` listens now, as the member table says (it may have restarted on another port). */
  urlOf(id: string): string | undefined
  makeBackoff(): Backoff
}

/** How long a hub waits for a smaller-id hub it knows to dial it before dialing it itself. */
const NUDGE_AFTER_MS = 3_000

/**
 * Hubs form a full mesh: a hub links to every hub it learns of, and of each
 * pair the smaller id dials (and redials, with backoff, until the peer is back
 * or has left). Seeds are dialed to join, and again, every second, while any
 * of them is not linked. A hub that a smaller-id hub has not dialed for a few
 * seconds dials it itself: the other may have restarted and not know it (two
 * connections between a pair resolve to the one the smaller id dialed).
 * @internal
 */
export class HubMesh {
  /** Peers with a dial or a redial loop under way. */
  private readonly dialing = new Set<string>()
  private seedDialing = false
  /** Hubs nudged without success: when to try again, and the wait after that (doubling up to 30 s). */
  private readonly nudges = new Map<string, { at: number; waitMs: number }>()

  constructor(private readonly host: MeshHost) {}

  get dialingSeeds(): boolean {
    return this.seedDialing
  }

  async dialSeeds(): Promise<void> {
    // a seed that is a peer already linked or being redialed needs no second dial crossing the first
    const seeds = this.host.seeds.filter((url) => {
      if (url === this.host.ownUrl()) return false
      const id = this.host.idOfUrl(url)
      return id === undefined || (!this.dialing.has(id) && !this.host.links.get(id)?.isUp)
    })
    if (seeds.length === 0 || this.seedDialing) return
    this.seedDialing = true
    await Promise.allSettled(seeds.map((url) => this.host.dial(url)))
    this.seedDialing = false
  }

  /** Keeps redialing a hub this one is responsible for dialing, until it is back, has left, or refuses for good. */
  redial(link: PeerLink): void {
    const url = link.peer?.url
    if (this.host.isClosed() || url === undefined || link.left || this.dialing.has(link.peerId)) return
    if (link.peer?.role !== 'hub' || !this.dialsFirst(link.peerId)) return
    this.dialing.add(link.peerId)
    const backoff = this.host.makeBackoff()
    const attempt = async (): Promise<void> => {
      if (this.host.isClosed() || link.isUp || link.left) {
        this.dialing.delete(link.peerId)
        return
      }
      try {
        await this.host.dial(this.host.urlOf(link.peerId) ?? link.peer?.url ?? url)
      } catch (error) {
        if (error instanceof HandshakeClosedError && FINAL_CLOSE_CODES.has(error.closeCode)) {
          this.dialing.delete(link.peerId) // refused for good: dialing again will not change that
          return
        }
        // unreachable or timed out: wait and try again below
      }
      if (this.host.isClosed() || link.isUp) {
        this.dialing.delete(link.peerId)
        return
      }
      this.host.clock.setTimeout(() => void attempt(), backoff.next())
    }
    this.host.clock.setTimeout(() => void attempt(), backoff.next())
  }

  /** Dials the hubs of the member table this hub should dial and has no link to. */
  connectHubs(): void {
    if (this.host.isClosed()) return
    const now = this.host.clock.now()
    for (const member of this.host.hubs()) {
      if (member.id === this.host.selfId || member.url === undefined || member.status === 'left') continue
      const link = this.host.links.get(member.id)
      if (link?.isUp || this.dialing.has(member.id)) continue
      const target = link ?? this.host.linkOf(member.id)
      if (this.dialsFirst(member.id) && target.peer !== undefined) {
        this.redial(target)
        continue
      }
      // the smaller id dials; if it has not for a while, it may not know this hub (it restarted): nudge it
      if (!this.dialsFirst(member.id) && !this.nudgeDue(member.id, target, now)) continue
      // first contact, or a nudge: dial once now; a link that is this hub's to dial redials by itself after that
      this.dialing.add(member.id)
      this.host
        .dial(member.url)
        .catch(() => undefined)
        .finally(() => {
          this.dialing.delete(member.id)
          // failed: the link redials if it is this hub's to dial; the next look at the table tries again otherwise
          if (!target.isUp && target.peer !== undefined) this.redial(target)
        })
    }
  }

  /** Whether to dial `peer` (a smaller id, silent since `link.lastHeard`) now, backing off while it stays away. */
  private nudgeDue(peer: string, link: PeerLink, now: number): boolean {
    if (now - link.lastHeard < NUDGE_AFTER_MS) {
      this.nudges.delete(peer)
      return false
    }
    const nudge = this.nudges.get(peer)
    if (nudge !== undefined && now < nudge.at) return false
    const waitMs = Math.min((nudge?.waitMs ?? NUDGE_AFTER_MS / 2) * 2, 30_000)
    this.nudges.set(peer, { at: now + waitMs, waitMs })
    return true
  }

  private dialsFirst(peer: string): boolean {
    return this.host.selfId < peer
  }
}
