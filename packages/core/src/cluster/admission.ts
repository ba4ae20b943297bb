import type { Address } from '../address.js'
import type { PeerLink, Refusal } from '../link/peerLink.js'
import { CLOSE_CODES, type ConnectionInfo } from '../transport/transport.js'
import type { HelloEnvelope, MessageEnvelope, NodeRole } from '../wire/envelope.js'

/** What a hub's `authenticate` hook is asked about. */
export interface AuthenticateRequest {
  /** The node id the dialer claims. */
  readonly nodeId: string
  readonly role: NodeRole
  /** The `token` the dialer sent, if any. */
  readonly token: string | undefined
  /** The connection's remote address and, for WebSocket transports, the HTTP upgrade request's headers (cookies). */
  readonly request: ConnectionInfo
}

/**
 * A hub's handshake check. Return a principal (a string naming who this is,
 * such as a user id) to let the node in; return `false` or `undefined` to
 * refuse it (closed with 4401, which clients do not retry); throw for a
 * transient failure (closed with 4503, which clients retry with backoff).
 */
export type Authenticate = (
  request: AuthenticateRequest,
) => string | false | undefined | Promise<string | false | undefined>

/** What a hub's `authorize` hook is asked about. */
export interface AuthorizeRequest {
  /** The principal the sending client authenticated as (undefined without `authenticate`). */
  readonly principal: string | undefined
  /** The sending client's node id. */
  readonly from: string
  readonly to: Address
  readonly message: unknown
}

/** A hub's check of each message a client sends (to its actors, or through it); false refuses it. */
export type Authorize = (request: AuthorizeRequest) => boolean

/** The hub's admission policy. @internal */
export interface AdmissionSettings {
  authenticate: Authenticate | undefined
  authorize: Authorize | undefined
  maxClients: number
}

type Verdict = { principal: string | undefined } | { close: readonly [code: number, reason: string] }

/**
 * Decides whether a hello gets in: the hub's capacity, the `authenticate`
 * hook, and that a node id already in use cannot be taken by another principal.
 * @internal
 */
export async function admit(
  hello: HelloEnvelope,
  info: ConnectionInfo,
  existing: PeerLink | undefined,
  clients: number,
  settings: AdmissionSettings,
): Promise<Verdict> {
  if (hello.role === 'client' && clients >= settings.maxClients && !existing?.isUp) {
    return { close: [CLOSE_CODES.OVERLOADED, `this hub is full (${settings.maxClients} clients)`] }
  }
  let principal: string | undefined
  if (settings.authenticate !== undefined) {
    let answer: string | false | undefined
    try {
      answer = await settings.authenticate({
        nodeId: hello.from,
        role: hello.role,
        token: hello.token,
        request: info,
      })
    } catch {
      return { close: [CLOSE_CODES.OVERLOADED, 'authentication is unavailable, try again later'] }
    }
    if (typeof answer !== 'string') return { close: [CLOSE_CODES.UNAUTHORIZED, 'authentication refused'] }
    principal = answer
  }
  // a link this hub dialed itself has no principal yet: the peer's first accepted connection sets it
  const holder = existing?.principal
  if (holder !== undefined && holder !== principal && !existing?.left) {
    return { close: [CLOSE_CODES.ID_IN_USE, `node id "${hello.from}" belongs to another principal`] }
  }
  return { principal }
}

/**
 * Checks a message from a client link before it is delivered or relayed: a
 * client can only send as itself, and `authorize` may refuse the target.
 * Returns the refusal, or undefined to let it through.
 * @internal
 */
export function checkFromClient(
  link: PeerLink,
  envelope: MessageEnvelope,
  authorize: Authorize | undefined,
): Refusal | undefined {
  const { origin, from, to, body } = envelope
  if (origin !== link.peerId || (from !== undefined && from.slice(from.indexOf('@') + 1) !== link.peerId)) {
    return {
      reason: 'rejected',
      detail: `spoofed sender: client "${link.peerId}" may not send as "${from ?? origin}"`,
    }
  }
  if (
    authorize !== undefined &&
    !authorize({ principal: link.principal, from: link.peerId, to, message: body })
  ) {
    return { reason: 'rejected', detail: `not authorized: "${link.peerId}" to "${to}"` }
  }
  return undefined
}
