import type { PeerLink } from '../link/peerLink.js'
import { CLOSE_CODES } from '../transport/transport.js'
import type { MemberStatus, NodeRole } from '../wire/envelope.js'
import { SilenceWheel } from './silenceWheel.js'

/** The timing the watch works with. @internal */
export interface WatchSettings {
  role: NodeRole
  heartbeatMs: number
  suspectAfterMs: number
  downAfterMs: number
  clientHeartbeatMs: number
  backgroundHeartbeatMs: number
}

/** What the watch needs from its cluster. @internal */
export interface WatchHost {
  readonly hubLinks: ReadonlyMap<string, PeerLink>
  /** Records what the link shows of its peer now. */
  observeLink(link: PeerLink): void
  /** The watch closed a silent link. */
  linkDown(link: PeerLink): void
  /** Whether this node waits on the cluster: messages not yet acknowledged, or asks not answered. */
  awaitingAnswers(): boolean
}

/** How often a busy client (one that never needs a heartbeat to be heard) still tells its hub its summary. */
const SUMMARY_EVERY_MS = 5_000
/** A client's heartbeat period while it waits on the cluster: a hub gone silent then is noticed within 2.5 of these. */
const AWAITING_HEARTBEAT_MS = 1_000

/**
 * The failure detector and the heartbeats. Hub links (a few) are looked at
 * on every tick: a heartbeat each way, silence past `downAfterMs` is a failed
 * peer. A hub's client links (maybe thousands) are not walked: each sits in a
 * {@link SilenceWheel} until it is due, so an idle tab costs a hub nothing
 * between looks. A client sends its hub a heartbeat only when it has sent
 * nothing else for `clientHeartbeatMs` (the hub echoes it: the client's proof
 * its hub is alive); the hub pings a client that went quiet (a hidden tab's
 * network stack answers pings) and drops one still silent `downAfterMs` later.
 * @internal
 */
export class ConnectionWatch {
  private readonly clients: SilenceWheel<PeerLink>
  /** When a quiet client link is pinged. */
  private readonly pingAfterMs: number
  /** When a quiet client link is suspect, and when it is given up. */
  private readonly clientSuspectAfterMs: number
  private readonly clientDownAfterMs: number
  private background = false

  constructor(
    private readonly host: WatchHost,
    private readonly settings: WatchSettings,
    now: number,
  ) {
    this.clients = new SilenceWheel(settings.heartbeatMs, now)
    this.pingAfterMs = settings.clientHeartbeatMs * 1.5
    this.clientSuspectAfterMs = this.pingAfterMs + settings.suspectAfterMs
    this.clientDownAfterMs = this.pingAfterMs + settings.downAfterMs
  }

  /** A hub's client link came up. */
  opened(link: PeerLink): void {
    this.clients.schedule(link, link.lastHeard + this.pingAfterMs)
  }

  /** A hub's client link went down: it turns down once silent past `downAfterMs`. */
  closed(link: PeerLink): void {
    this.clients.schedule(link, link.lastHeard + this.settings.downAfterMs)
  }

  forget(link: PeerLink): void {
    this.clients.remove(link)
  }

  /** The failure detector's verdict: silence past `suspectAfterMs` is suspect, past `downAfterMs` down. */
  statusOf(link: PeerLink, now: number): MemberStatus {
    if (link.left) return 'left'
    const silent = now - link.lastHeard
    // a closed connection is down after the usual silence; an open one after its kind's
    if (silent >= (link.isUp ? this.thresholds(link).down : this.settings.downAfterMs)) return 'down'
    if (!link.isUp || silent >= this.thresholds(link).suspect) return 'suspect'
    return 'up'
  }

  tick(now: number, background: boolean): void {
    this.background = background
    for (const link of this.host.hubLinks.values()) this.watchHub(link, now)
    for (const link of this.clients.due(now)) this.watchClient(link, now)
  }

  private watchHub(link: PeerLink, now: number): void {
    if (link.isUp && now - link.lastHeard >= this.thresholds(link).down) {
      this.drop(link)
      return
    }
    if (link.isUp && this.heartbeatDue(link, now)) link.heartbeat(now)
    // a client linked to a hub hears of the hubs it no longer links to from that hub, which knows better
    if (!link.isUp && this.settings.role === 'client' && this.linkedToAHub()) return
    this.host.observeLink(link)
  }

  private watchClient(link: PeerLink, now: number): void {
    const silent = now - link.lastHeard
    if (!link.isUp) {
      this.host.observeLink(link)
      if (silent < this.settings.downAfterMs)
        this.clients.schedule(link, link.lastHeard + this.settings.downAfterMs)
      return
    }
    if (silent >= this.clientDownAfterMs) {
      this.drop(link)
      return
    }
    // quiet: ask its network stack, and look again when it would turn suspect, then down
    if (silent >= this.pingAfterMs) link.ping()
    const next = [this.pingAfterMs, this.clientSuspectAfterMs, this.clientDownAfterMs].find(
      (after) => after > silent,
    )!
    this.clients.schedule(link, link.lastHeard + next)
    this.host.observeLink(link)
  }

  private drop(link: PeerLink): void {
    link.detach(CLOSE_CODES.GOING_AWAY, 'peer stopped answering')
    this.host.linkDown(link)
  }

  /**
   * A hub heartbeats its hub links every tick. A client heartbeats when it
   * has sent nothing for its period, and every 5 s anyway (the heartbeat
   * carries its summary); while it waits on answers, also whenever it has
   * heard nothing for a period, so a hub gone silent is noticed soon even
   * while the client keeps sending.
   */
  private heartbeatDue(link: PeerLink, now: number): boolean {
    if (this.settings.role === 'hub') return true
    const period = this.clientPeriod()
    const awaiting = period < this.idlePeriod()
    return (
      now - link.lastSent >= period ||
      now - link.lastHeartbeatAt >= SUMMARY_EVERY_MS ||
      (awaiting && now - link.lastHeard >= period && now - link.lastHeartbeatAt >= period)
    )
  }

  private linkedToAHub(): boolean {
    for (const link of this.host.hubLinks.values()) if (link.isUp) return true
    return false
  }

  /** A client's heartbeat period: short while it waits on answers, slow while its page is hidden. */
  private clientPeriod(): number {
    const idle = this.idlePeriod()
    return this.host.awaitingAnswers() ? Math.min(idle, AWAITING_HEARTBEAT_MS) : idle
  }

  private idlePeriod(): number {
    return this.background ? this.settings.backgroundHeartbeatMs : this.settings.clientHeartbeatMs
  }

  /** Silence after which a link's peer is suspect, and down. */
  private thresholds(link: PeerLink): { suspect: number; down: number } {
    const { role, suspectAfterMs, downAfterMs } = this.settings
    if (role === 'client') {
      // the hub echoes every heartbeat: a client hears its hub at least once a period
      const period = this.clientPeriod()
      return { suspect: period * 1.5, down: Math.max(downAfterMs, period * 2.5) }
    }
    if (link.role === 'client') return { suspect: this.clientSuspectAfterMs, down: this.clientDownAfterMs }
    return { suspect: suspectAfterMs, down: downAfterMs }
  }
}
