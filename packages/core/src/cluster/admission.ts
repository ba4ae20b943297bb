import { CLOSE_CODES, type ConnectionInfo } from '../transport/transport.js'
import type { HelloEnvelope, MemberRecord, NodeRole } from '../wire/envelope.js'

/** What a hub's `authenticate` hook is asked about. */
export interface AuthenticateRequest {
  /** The node id the dialer claims. */
  readonly nodeId: string
  /** The role the dialer claims: `'hub'` is granted only by an answer that says so (or `hubSecret`). */
  readonly role: NodeRole
  /** The `token` the dialer sent, if any. */
  readonly token: string | undefined
  /** The connection's remote address and, for WebSocket transports, the HTTP upgrade request's headers (cookies). */
  readonly request: ConnectionInfo
}

/**
 * What `authenticate` answers: a principal (who this is, such as a user id)
 * admits the node as a client; `{ principal, role: 'hub' }` admits it as a
 * hub; `false` or `undefined` refuses it.
 */
export type AuthenticateResult = string | { principal: string; role?: NodeRole } | false | undefined

/**
 * A hub's handshake check. Refused nodes are closed with 4401 (or 4403 when
 * they claim a role they are not granted), which clients do not retry; a hook
 * that throws or takes longer than `handshakeTimeoutMs` is a transient failure
 * (closed with 4503, which clients retry with backoff).
 */
export type Authenticate = (request: AuthenticateRequest) => AuthenticateResult | Promise<AuthenticateResult>

/** What a hub's `authorize` hook is asked about: each envelope with user data that a client sends. */
export interface AuthorizeRequest {
  /** The principal the sending client authenticated as (undefined without `authenticate`). */
  readonly principal: string | undefined
  /** The sending client's node id. */
  readonly from: string
  /** A message to an actor, a reply to an ask, or the report that a message to the client became a dead letter. */
  readonly type: 'message' | 'reply' | 'dead'
  /** The actor a message is for (for a dead-letter report: the client's actor the message was for). */
  readonly to: string | undefined
  /** The node the envelope is for. */
  readonly node: string
  /** The message, reply or undelivered message (decoded when first read). */
  readonly message: unknown
}

/** A hub's check of each envelope with user data a client sends (to its actors, or through it); false refuses it. */
export type Authorize = (request: AuthorizeRequest) => boolean

/** The hub's admission policy. @internal */
export interface AdmissionSettings {
  authenticate: Authenticate | undefined
  authorize: Authorize | undefined
  maxClients: number
  hubSecret: string | undefined
  /** How far in the future (wall clock) a client's incarnation may be. */
  maxIncarnationSkewMs: number
}

/** What admission needs to know about the id being claimed. @internal */
export interface Claim {
  /** The cluster's row for the id, if any. */
  readonly record: MemberRecord | undefined
  /** Whether this hub has a live connection for the id. */
  readonly connectedHere: boolean
  readonly clients: number
  /** Waits a moment for a live holder of the id to go away; true if it did. */
  released(): Promise<boolean>
}

/** Admitted with a principal and role, or refused with a close code and reason. @internal */
export type Verdict =
  | { principal: string | undefined; role: NodeRole }
  | { close: readonly [code: number, reason: string] }

/**
 * Decides whether a hello gets in: roles (a hub must prove it is one), the
 * hub's capacity, `authenticate`, and who owns the id in the whole cluster (a
 * live node keeps its id, a principal keeps its ids, hub ids are reserved, and
 * a stale incarnation does not come back).
 * @internal
 */
export async function admit(
  hello: HelloEnvelope,
  info: ConnectionInfo,
  claim: Claim,
  settings: AdmissionSettings,
): Promise<Verdict> {
  const { record } = claim
  if (hello.role === 'client') {
    if (claim.clients >= settings.maxClients && !claim.connectedHere) {
      return { close: [CLOSE_CODES.OVERLOADED, `this hub is full (${settings.maxClients} clients)`] }
    }
    if (hello.incarnation > Date.now() + settings.maxIncarnationSkewMs) {
      return { close: [CLOSE_CODES.PROTOCOL_ERROR, `incarnation ${hello.incarnation} is in the future`] }
    }
    if (record?.role === 'hub') {
      return { close: [CLOSE_CODES.ID_IN_USE, `node id "${hello.from}" is a hub's`] }
    }
  }
  const identity = await identify(hello, info, settings)
  if ('close' in identity) return identity
  if (record !== undefined && record.principal !== identity.principal && hello.role === 'client') {
    return { close: [CLOSE_CODES.ID_IN_USE, `node id "${hello.from}" belongs to another principal`] }
  }
  // a live node keeps its id, hub or client; a stale run does not come back
  if (record !== undefined) {
    if (hello.incarnation < record.incarnation) {
      return {
        close: [CLOSE_CODES.ID_IN_USE, `node id "${hello.from}" has a newer incarnation in the cluster`],
      }
    }
    const live = record.status === 'up' && hello.incarnation !== record.incarnation
    if (live && !(await claim.released())) {
      return { close: [CLOSE_CODES.ID_IN_USE, `node id "${hello.from}" is in use by a live node`] }
    }
  }
  return identity
}

async function identify(
  hello: HelloEnvelope,
  info: ConnectionInfo,
  settings: AdmissionSettings,
): Promise<Verdict> {
  const { authenticate, hubSecret } = settings
  if (hello.role === 'hub' && hubSecret !== undefined && sameSecret(hello.token, hubSecret)) {
    return { principal: `hub:${hello.from}`, role: 'hub' }
  }
  if (authenticate === undefined) {
    if (hello.role === 'hub' && hubSecret !== undefined) {
      return { close: [CLOSE_CODES.FORBIDDEN, 'not admitted as a hub: wrong hub secret'] }
    }
    return { principal: undefined, role: hello.role } // an open cluster: everyone who speaks the protocol
  }
  let answer: AuthenticateResult
  try {
    answer = await authenticate({ nodeId: hello.from, role: hello.role, token: hello.token, request: info })
  } catch {
    return { close: [CLOSE_CODES.OVERLOADED, 'authentication is unavailable, try again later'] }
  }
  if (typeof answer === 'string') answer = { principal: answer, role: 'client' }
  if (typeof answer !== 'object' || answer === null || typeof answer.principal !== 'string') {
    return { close: [CLOSE_CODES.UNAUTHORIZED, 'authentication refused'] }
  }
  const granted = answer.role ?? 'client'
  if (hello.role === 'hub' && granted !== 'hub') {
    return { close: [CLOSE_CODES.FORBIDDEN, 'not admitted as a hub: these credentials admit a client'] }
  }
  return { principal: answer.principal, role: hello.role }
}

/** Compares secrets in time that does not depend on where they differ. */
function sameSecret(given: string | undefined, secret: string): boolean {
  if (given === undefined || given.length !== secret.length) return false
  let difference = 0
  for (let i = 0; i < secret.length; i++) difference |= given.charCodeAt(i) ^ secret.charCodeAt(i)
  return difference === 0
}
