import type { Clock } from '../clock.js'
import type { Delivery } from '../delivery/delivery.js'
import type { Standing } from '../delivery/types.js'
import type { PeerLink } from '../link/peerLink.js'
import {
  type DataEnvelope,
  destinationOf,
  type NodeRole,
  type RoutedControlEnvelope,
} from '../wire/envelope.js'
import type { Authorize } from './admission.js'
import { checkFromClient } from './trust.js'

/** What the router needs from its cluster. @internal */
export interface RouterHost {
  readonly id: string
  readonly role: NodeRole
  readonly clock: Clock
  readonly delivery: Delivery
  readonly authorize: Authorize | undefined
  routeTo(node: string): PeerLink | undefined
  standing(node: string): Standing
  /** `client` sends to `node` (it will hear of that node's changes). */
  interest(client: PeerLink, node: string): void
  /** A client sent an envelope claiming to be someone else's, or only a hub's to send: dropped. */
  forged(from: string, envelope: DataEnvelope | RoutedControlEnvelope, detail: string): void
}

/**
 * What happens to each envelope that arrives on a link: checked first when a
 * client sent it (see {@link checkFromClient}), then handed to this node's
 * delivery layer if it is for this node, or passed on toward its destination
 * by a hub. Passing on keeps nothing.
 * @internal
 */
export class EnvelopeRouter {
  private readonly noticed = new Map<string, number>()
  /** Envelopes passed on. */
  relayed = 0

  constructor(private readonly host: RouterHost) {}

  received(envelope: DataEnvelope | RoutedControlEnvelope, link: PeerLink): void {
    const fromClient = link.role === 'client'
    if (fromClient && this.host.role === 'hub') {
      const verdict = checkFromClient(link, envelope, this.host.authorize)
      if (verdict !== undefined) {
        link.countRejected()
        if (verdict.kind === 'forged') this.host.forged(link.peerId, envelope, verdict.detail)
        else this.refuse(envelope as DataEnvelope, link, verdict.detail)
        return
      }
    } else if (fromClient && (envelope.type === 'unreachable' || envelope.type === 'refused')) {
      return // only hubs speak of routes
    }
    const dest = destinationOf(envelope)
    if (dest === this.host.id) this.dispatch(envelope, link)
    else if (this.host.role === 'hub') this.relay(envelope, dest, link)
  }

  private dispatch(envelope: DataEnvelope | RoutedControlEnvelope, link: PeerLink): void {
    const delivery = this.host.delivery
    switch (envelope.type) {
      case 'ack':
        delivery.acked(envelope, link)
        return
      case 'unreachable':
        delivery.unreachableReported(envelope.node, envelope.reason)
        return
      case 'refused':
        delivery.refusedReported(envelope)
        return
      default:
        delivery.received(envelope)
    }
  }

  /**
   * Passes an envelope on toward `dest`. A hub passes on from its clients to
   * anyone, but from another hub only to its own clients, so no envelope goes
   * round between hubs that disagree on a route. Nothing is kept: if the next
   * hop is missing or full the envelope is dropped (its origin still holds it),
   * and the origin hears why.
   */
  private relay(envelope: DataEnvelope | RoutedControlEnvelope, dest: string, from: PeerLink): void {
    let next = this.host.routeTo(dest)
    if (next !== undefined && from.role === 'hub' && next.role === 'hub') next = undefined
    if (from.role === 'client') this.host.interest(from, dest)
    if (next === undefined) {
      if (envelope.type !== 'ack' && envelope.type !== 'unreachable' && envelope.type !== 'refused') {
        this.notifyUnreachable(envelope.origin, dest, from)
      }
      return
    }
    if (next.relay(envelope)) this.relayed++
  }

  /** Tells an origin that envelopes for `dest` went nowhere, at most every 100 ms per pair. */
  private notifyUnreachable(origin: string, dest: string, back: PeerLink): void {
    const key = `${origin}\n${dest}`
    const now = this.host.clock.now()
    if (now - (this.noticed.get(key) ?? Number.NEGATIVE_INFINITY) < 100) return
    this.noticed.set(key, now)
    const standing = this.host.standing(dest)
    const reason = standing === 'up' ? 'no-route' : standing
    back.sendControl({ type: 'unreachable', dest: origin, node: dest, reason })
  }

  /**
   * A client's own envelope that it may not send: the client hears why (it
   * dead-letters it and sends a skip in its place), and a skip goes on in its
   * place right away, so the stream does not wait on the client for that.
   */
  private refuse(envelope: DataEnvelope, link: PeerLink, detail: string): void {
    const { seq, base, origin, originIncarnation } = envelope
    const dest = destinationOf(envelope)
    link.sendControl({ type: 'refused', dest: origin, node: dest, seq, reason: 'rejected', detail })
    const skip: DataEnvelope = { type: 'skip', seq, base, origin, originIncarnation, dest }
    if (dest === this.host.id) this.host.delivery.received(skip)
    else this.relay(skip, dest, link)
  }

  /** Forgets notices older than their 100 ms. */
  tick(now: number): void {
    for (const [key, at] of this.noticed) if (now - at >= 100) this.noticed.delete(key)
  }
}
