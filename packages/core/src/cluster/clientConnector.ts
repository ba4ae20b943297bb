import type { Clock } from '../clock.js'
import type { Backoff } from '../link/backoff.js'
import { HandshakeClosedError } from '../link/handshake.js'
import { FINAL_CLOSE_CODES } from '../transport/transport.js'

/** A node's link to the cluster, as a browser tab's UI shows it. */
export type ConnectionState = 'connecting' | 'online' | 'offline' | 'refused'

/** What a client's connector needs from its cluster. @internal */
export interface ConnectorHost {
  readonly clock: Clock
  /** Hub URLs to try, best first: the current hub, then the seeds, then every hub known. */
  candidates(): string[]
  /** Dials `url` and completes the handshake. */
  dial(url: string): Promise<unknown>
  /** Whether a hub link is up. */
  isConnected(): boolean
  isClosed(): boolean
  stateChanged(state: ConnectionState): void
}

/**
 * Keeps a client node connected to exactly one hub, and says where it stands.
 * When it has no hub, it tries the candidate URLs in turn (so a tab fails over
 * to another hub when its own is gone), then waits a backoff, and starts
 * over. It does not dial while the browser says it is offline, nor after a
 * hub refused its credentials or id (4401, 4403, 4409) until told to retry.
 * @internal
 */
export class ClientConnector {
  private running = false
  private timer: unknown
  private networkOnline = true
  /** Why the hubs refused this client, while they do. */
  private refusedFor: string | undefined
  private current: ConnectionState = 'connecting'

  constructor(
    private readonly host: ConnectorHost,
    private readonly backoff: Backoff,
  ) {}

  get state(): ConnectionState {
    return this.current
  }

  /** Why the hubs refused this client, while they do (`4409 node id "x" is in use by a live node`). */
  get refusal(): string | undefined {
    return this.refusedFor
  }

  /** Makes sure a round of dialing is under way (or scheduled) unless connected; resolves when a round started now ends. */
  ensure(): Promise<void> {
    this.update()
    if (this.running || this.host.isClosed() || this.refusedFor !== undefined || this.host.isConnected()) {
      return Promise.resolve()
    }
    this.running = true
    return this.round()
  }

  /** Dials now rather than after the backoff (the network came back, the page woke up); not after a refusal. */
  now(): void {
    if (this.refusedFor !== undefined) return
    this.backoff.reset()
    if (this.timer !== undefined) {
      this.host.clock.clearTimeout(this.timer)
      this.timer = undefined
      this.running = false
    }
    void this.ensure()
  }

  /** After a refusal: dial again (the token or the situation changed). */
  retryRefused(): void {
    this.refusedFor = undefined
    this.now()
  }

  /** The browser went offline (`false`) or online: stop dialing, or dial at once. */
  setNetworkOnline(online: boolean): void {
    this.networkOnline = online
    this.update()
    if (online) this.now()
  }

  /** The hub link came up or went down: the state may change. */
  update(): void {
    // the browser's word wins: its sockets may look open while nothing gets through
    let state: ConnectionState = 'connecting'
    if (!this.networkOnline) state = 'offline'
    else if (this.host.isConnected()) state = 'online'
    else if (this.refusedFor !== undefined) state = 'refused'
    if (state === this.current) return
    this.current = state
    this.host.stateChanged(state)
  }

  close(): void {
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer)
  }

  private async round(): Promise<void> {
    for (const url of this.host.candidates()) {
      if (this.host.isClosed() || this.host.isConnected() || !this.networkOnline) break
      try {
        await this.host.dial(url)
        if (this.host.isConnected()) break
      } catch (error) {
        if (error instanceof HandshakeClosedError && FINAL_CLOSE_CODES.has(error.closeCode)) {
          // the same credentials will be refused again: stop until told to try (new token, page reload)
          this.refusedFor = `${error.closeCode} ${error.closeReason}`
          this.running = false
          this.update()
          return
        }
        // unreachable, timed out, or busy: try the next hub
      }
    }
    if (this.host.isClosed() || this.host.isConnected()) {
      this.running = false
      this.backoff.reset()
      this.update()
      return
    }
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = undefined
      void this.round()
    }, this.backoff.next())
  }
}
