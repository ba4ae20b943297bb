import type { Clock } from '../clock.js'
import type { Backoff } from '../link/backoff.js'
import { HandshakeClosedError } from '../link/handshake.js'
import { FINAL_CLOSE_CODES } from '../transport/transport.js'

/** What a client's connector needs from its cluster. @internal */
export interface ConnectorHost {
  readonly clock: Clock
  /** Hub URLs to try, best first: the current hub, then the seeds, then every hub known. */
  candidates(): string[]
  /** Dials `url` and completes the handshake; true when a hub link is up after it. */
  dial(url: string): Promise<boolean>
  isConnected(): boolean
  /** False while the browser says it is offline: no point dialing then. */
  mayDial(): boolean
  /** A hub refused this node's credentials (4401) or id (4409): dialing stops until `now()`. */
  refused(error: HandshakeClosedError): void
}

/**
 * Keeps a client node connected to exactly one hub: when it has none, it
 * tries the candidate URLs in turn (so a tab fails over to another hub when
 * its own is gone), then waits a backoff, and starts over.
 * @internal
 */
export class ClientConnector {
  private running = false
  private timer: unknown
  private closed = false
  private refused = false

  constructor(
    private readonly host: ConnectorHost,
    private readonly backoff: Backoff,
  ) {}

  /** Makes sure a round of dialing is under way (or scheduled) unless connected; resolves when a round started now ends. */
  ensure(): Promise<void> {
    if (this.running || this.closed || this.refused || this.host.isConnected()) return Promise.resolve()
    this.running = true
    return this.round()
  }

  /** Dials now rather than after the backoff (the network came back, the page woke up). */
  now(): void {
    this.refused = false
    this.backoff.reset()
    if (this.timer !== undefined) {
      this.host.clock.clearTimeout(this.timer)
      this.timer = undefined
      this.running = false
    }
    void this.ensure()
  }

  close(): void {
    this.closed = true
    if (this.timer !== undefined) this.host.clock.clearTimeout(this.timer)
  }

  private async round(): Promise<void> {
    for (const url of this.host.candidates()) {
      if (this.closed || this.host.isConnected() || !this.host.mayDial()) break
      try {
        if (await this.host.dial(url)) break
      } catch (error) {
        if (error instanceof HandshakeClosedError && FINAL_CLOSE_CODES.has(error.closeCode)) {
          // the same credentials will be refused again: stop until told to try (new token, page reload)
          this.refused = true
          this.running = false
          this.host.refused(error)
          return
        }
        // unreachable, timed out, or busy: try the next hub
      }
    }
    if (this.closed || this.host.isConnected()) {
      this.running = false
      this.backoff.reset()
      return
    }
    this.timer = this.host.clock.setTimeout(() => {
      this.timer = undefined
      void this.round()
    }, this.backoff.next())
  }
}
