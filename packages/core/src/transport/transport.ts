/**
 * The transport layer: how bytes move between two nodes. Core's links use it
 * without knowing what is underneath (a WebSocket in Node or a browser, or the
 * in-memory network of `@troupe/core/testing`).
 */

/** One open, ordered, reliable byte-message connection (like a WebSocket). */
export interface Connection {
  /** Queues one message. Never throws once the connection is closed; the bytes are dropped then. */
  send(bytes: Uint8Array): void
  /** Bytes accepted by `send` and not yet handed to the network. */
  readonly bufferedAmount: number
  /** Closes the connection; `onClose` runs once, with this code and reason. */
  close(code?: number, reason?: string): void
  /** Set by the connection's owner: called for every message received. */
  onMessage: ((bytes: Uint8Array) => void) | undefined
  /** Set by the connection's owner: called once when the connection is closed, from either side. */
  onClose: ((code: number, reason: string) => void) | undefined
  /** Where the other end is, for logs and errors (`127.0.0.1:53211`). */
  readonly remote: string
  /**
   * Sends a transport-level ping, if the transport has one (a WebSocket server
   * does). The peer's network stack answers it even when the peer's page has
   * its timers throttled or is frozen, so a hub can tell a healthy hidden tab
   * from a dead one.
   */
  ping?(): void
  /** Set by the owner: called when the answer to `ping` arrives. */
  onPong?: (() => void) | undefined
}

/** What a listening transport knows of an incoming connection, for authentication hooks. */
export interface ConnectionInfo {
  readonly remote: string
  /** The HTTP request's headers, for transports that have them. */
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>
}

/** A transport's accepting end. */
export interface Listener {
  /** The URL other nodes dial to reach this one. */
  readonly url: string
  close(): Promise<void>
}

/** Dials and, for hubs, accepts connections. */
export interface Transport {
  /** Opens a connection to `url`; rejects if it cannot be opened. */
  connect(url: string): Promise<Connection>
  /** Starts accepting connections. Transports that cannot accept (browsers) leave it out. */
  listen?(accept: (connection: Connection, info: ConnectionInfo) => void): Promise<Listener>
}

/** WebSocket close codes the links use, with their meaning on the wire. */
export const CLOSE_CODES = {
  /** Orderly close. */
  NORMAL: 1000,
  /** The node is shutting down. */
  GOING_AWAY: 1001,
  /** The peer sent bytes that are not valid frames. */
  PROTOCOL_ERROR: 4002,
  /** The handshake did not complete in time. */
  HANDSHAKE_TIMEOUT: 4008,
  /** Another connection for the same node won. */
  REPLACED: 4009,
  /** The hub refused the handshake's credentials: dialing again will not help. */
  UNAUTHORIZED: 4401,
  /** The credentials are good but do not allow the role claimed (a client token claiming to be a hub). */
  FORBIDDEN: 4403,
  /** The node id is held by another live node or principal, or reserved for a hub: dialing again will not help. */
  ID_IN_USE: 4409,
  /** The peer sent more before the handshake completed than a hub buffers. */
  TOO_MUCH_EARLY_DATA: 4413,
  /** The peer read nothing for too long while data waited for it. */
  SLOW_PEER: 4429,
  /** The hub cannot take the connection now (full, or authentication unavailable): try again later. */
  OVERLOADED: 4503,
} as const

/** Close codes that mean "do not dial this hub again with the same credentials". */
export const FINAL_CLOSE_CODES: ReadonlySet<number> = new Set([
  CLOSE_CODES.UNAUTHORIZED,
  CLOSE_CODES.FORBIDDEN,
  CLOSE_CODES.ID_IN_USE,
])
