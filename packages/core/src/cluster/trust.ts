import type { PeerLink } from '../link/peerLink.js'
import type { DataEnvelope, RoutedControlEnvelope } from '../wire/envelope.js'
import { decodeValue } from '../wire/values.js'
import type { Authorize, AuthorizeRequest } from './admission.js'

/**
 * What a hub makes of an envelope from one of its clients:
 * - `undefined`: it may pass;
 * - `forged`: it claims to come from another node (or another run of this
 *   one), or is something only hubs send: dropped, and counted;
 * - `refused`: the client's own, but not allowed (sent as another node's
 *   actor, or refused by `authorize`): the hub tells the client, which
 *   dead-letters it, and the stream goes on past it.
 * @internal
 */
export type TrustVerdict = undefined | { kind: 'forged' | 'refused'; detail: string }

const nodeOf = (address: string) => address.slice(address.indexOf('@') + 1)

/**
 * Checks every envelope type a client can send: a client may claim its own id
 * and incarnation and nothing else, may answer only as itself (the asker
 * checks the answer comes from the node it asked), may report dead letters
 * only of messages sent to it, and `authorize` sees every envelope that
 * carries user data.
 * @internal
 */
export function checkFromClient(
  link: PeerLink,
  envelope: DataEnvelope | RoutedControlEnvelope,
  authorize: Authorize | undefined,
): TrustVerdict {
  const client = link.peerId
  const incarnation = link.peer?.incarnation
  switch (envelope.type) {
    case 'unreachable':
    case 'refused':
      return {
        kind: 'forged',
        detail: `client "${client}" sent a "${envelope.type}" notice, which only hubs send`,
      }
    case 'ack':
      if (envelope.from !== client || envelope.fromIncarnation !== incarnation) {
        return { kind: 'forged', detail: `client "${client}" sent an ack as "${envelope.from}"` }
      }
      return undefined
  }
  if (envelope.origin !== client || envelope.originIncarnation !== incarnation) {
    return { kind: 'forged', detail: `client "${client}" sent a ${envelope.type} as "${envelope.origin}"` }
  }
  switch (envelope.type) {
    case 'skip':
      return undefined
    case 'message':
      if (envelope.from !== undefined && nodeOf(envelope.from) !== client) {
        return {
          kind: 'refused',
          detail: `spoofed sender: client "${client}" may not send as "${envelope.from}"`,
        }
      }
      return authorized(link, envelope, envelope.to, nodeOf(envelope.to), authorize)
    case 'reply':
      return authorized(link, envelope, undefined, envelope.dest, authorize)
    case 'dead':
      if (nodeOf(envelope.to) !== client) {
        return {
          kind: 'refused',
          detail: `client "${client}" may not report dead letters of messages to "${envelope.to}"`,
        }
      }
      return authorized(link, envelope, envelope.to, envelope.dest, authorize)
  }
}

function authorized(
  link: PeerLink,
  envelope: Exclude<DataEnvelope, { type: 'skip' }>,
  to: string | undefined,
  node: string,
  authorize: Authorize | undefined,
): TrustVerdict {
  if (authorize === undefined) return undefined
  const request: AuthorizeRequest = {
    principal: link.principal,
    from: link.peerId,
    type: envelope.type,
    to,
    node,
    get message() {
      return decodeValue(envelope.body)
    },
  }
  let allowed: boolean
  try {
    allowed = authorize(request) === true
  } catch (error) {
    return { kind: 'refused', detail: `authorize threw: ${(error as Error).message}` }
  }
  return allowed
    ? undefined
    : { kind: 'refused', detail: `not authorized: "${link.peerId}" to "${to ?? node}"` }
}
