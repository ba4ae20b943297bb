import type { Clock } from '../clock.js'
import { awaitHello, dial, type Handshaken } from '../link/handshake.js'
import type { PeerLink } from '../link/peerLink.js'
import { CLOSE_CODES, type Connection, type ConnectionInfo, type Transport } from '../transport/transport.js'
import type { FrameCodec } from '../wire/codec.js'
import { PROTOCOL_VERSION } from '../wire/codes.js'
import type { HelloEnvelope, NodeRole, WelcomeEnvelope } from '../wire/envelope.js'
import { type AdmissionSettings, admit, type Claim } from './admission.js'

/** What every handshake of a node uses, fixed for its life. @internal */
export interface HandshakeSettings {
  readonly id: string
  readonly incarnation: number
  readonly role: NodeRole
  readonly clock: Clock
  readonly codec: FrameCodec
  readonly transport: Transport
  readonly handshakeTimeoutMs: number
  readonly maxEarlyBytes: number
  readonly admission: AdmissionSettings
  readonly token: string | (() => string | Promise<string>) | undefined
}

/** What opening and accepting connections needs from the cluster. @internal */
export interface ConnectionsHost {
  readonly handshake: HandshakeSettings
  readonly url: string | undefined
  readonly maxTtlMs: number
  isClosed(): boolean
  links: ReadonlyMap<string, PeerLink>
  linkOf(id: string): PeerLink
  claimOf(hello: HelloEnvelope): Claim
  /** The link took over a connection: the cluster brings it up to date. */
  attached(link: PeerLink, peer: HelloEnvelope | WelcomeEnvelope): void
}

/**
 * The accepting side: waits for the hello, admits it (within
 * `handshakeTimeoutMs`, however long `authenticate` takes), answers welcome
 * and hands the connection to the peer's link.
 * @internal
 */
export async function acceptConnection(
  host: ConnectionsHost,
  connection: Connection,
  info: ConnectionInfo,
): Promise<void> {
  let handshake: Handshaken<HelloEnvelope>
  try {
    handshake = await awaitHello(
      connection,
      host.handshake.codec,
      host.handshake.clock,
      host.handshake.handshakeTimeoutMs,
      host.handshake.maxEarlyBytes,
    )
  } catch {
    return // the handshake closed the connection and said why
  }
  const hello = handshake.envelope
  if (host.isClosed() || hello.from === host.handshake.id) {
    connection.close(CLOSE_CODES.PROTOCOL_ERROR, host.isClosed() ? 'node closed' : 'that is my own node id')
    return
  }
  const verdict = await withDeadline(
    admit(hello, info, host.claimOf(hello), host.handshake.admission),
    host.handshake.clock,
    host.handshake.handshakeTimeoutMs,
  )
  if (verdict === undefined) {
    connection.close(CLOSE_CODES.OVERLOADED, 'authentication took too long, try again later')
    return
  }
  if ('close' in verdict) {
    connection.close(...verdict.close)
    return
  }
  if (handshake.closed || host.isClosed()) {
    connection.close(CLOSE_CODES.NORMAL, 'closed during the handshake')
    return
  }
  const link = host.linkOf(hello.from)
  if (link.isUp && !replaces(host.handshake.id, link, false)) {
    connection.close(CLOSE_CODES.REPLACED, 'a connection to this node is already up')
    return
  }
  link.principal = verdict.principal
  const welcome: WelcomeEnvelope = {
    type: 'welcome',
    version: PROTOCOL_VERSION,
    from: host.handshake.id,
    incarnation: host.handshake.incarnation,
    role: host.handshake.role,
    url: host.url,
    maxTtlMs: host.maxTtlMs,
  }
  connection.send(host.handshake.codec.encode([welcome]))
  link.attach(connection, hello, false, handshake.early)
  host.attached(link, hello)
}

/** The dialing side: connects to `url`, says hello, and hands the connection to the peer's link. @internal */
export async function dialConnection(host: ConnectionsHost, url: string): Promise<PeerLink | undefined> {
  const hello: HelloEnvelope = {
    type: 'hello',
    version: PROTOCOL_VERSION,
    from: host.handshake.id,
    incarnation: host.handshake.incarnation,
    role: host.handshake.role,
    token: typeof host.handshake.token === 'function' ? await host.handshake.token() : host.handshake.token,
    url: host.url,
  }
  const handshake = await dial(
    host.handshake.transport,
    url,
    hello,
    host.handshake.codec,
    host.handshake.clock,
    host.handshake.handshakeTimeoutMs,
  )
  const welcome = handshake.envelope
  const link = welcome.from === host.handshake.id ? undefined : host.linkOf(welcome.from)
  if (
    host.isClosed() ||
    handshake.closed ||
    link === undefined ||
    (link.isUp && !replaces(host.handshake.id, link, true))
  ) {
    handshake.connection.close(CLOSE_CODES.NORMAL, 'not needed')
    return link
  }
  // a hub dialed is admitted as what it is: trusted with what hubs say
  link.principal = welcome.role === 'hub' ? `hub:${welcome.from}` : undefined
  link.attach(handshake.connection, welcome, true, handshake.early)
  host.attached(link, welcome)
  return link
}

/**
 * Two connections between the same pair: keep the one dialed by the smaller
 * node id; a reconnect from the side that dialed the old one replaces it.
 */
function replaces(selfId: string, link: PeerLink, newDialedByUs: boolean): boolean {
  if (link.dialed === newDialedByUs) return true
  return newDialedByUs === selfId < link.peerId
}

/** `promise`'s value, or undefined if it takes longer than `ms`. */
function withDeadline<T>(promise: Promise<T>, clock: Clock, ms: number): Promise<T | undefined> {
  return new Promise((resolve, reject) => {
    const timer = clock.setTimeout(() => resolve(undefined), ms)
    promise.then(
      (value) => {
        clock.clearTimeout(timer)
        resolve(value)
      },
      (error: unknown) => {
        clock.clearTimeout(timer)
        reject(error)
      },
    )
  })
}
