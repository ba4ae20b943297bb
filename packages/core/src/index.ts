/**
 * Troupe core: actors, addressing and the wire protocol, free of any
 * platform API so it runs unchanged in browsers and Node.js.
 *
 * @packageDocumentation
 */

export type { ActorErrorEvent } from './actor/actorCell.js'
export type { ActorRef, AskOptions, SendOptions } from './actor/actorRef.js'
export type { Behavior, BehaviorSource } from './actor/behavior.js'
export type { ActorContext } from './actor/context.js'
export { DEAD_LETTER_REASONS, type DeadLetter, type DeadLetterReason } from './actor/deadLetter.js'
export type {
  ActorType,
  AnyRef,
  EntryFor,
  MessageTo,
  NameOf,
  Protocol,
  RefTo,
  ReplyFrom,
  Untyped,
} from './actor/protocol.js'
export type { SpawnOptions } from './actor/spawnOptions.js'
export type { SupervisionOptions, SupervisionStrategy } from './actor/supervision.js'
export { type Address, assertActorName, assertNodeId, formatAddress, parseAddress } from './address.js'
export { type Clock, realClock, type TimerHandle } from './clock.js'
export type {
  Authenticate,
  AuthenticateRequest,
  AuthenticateResult,
  Authorize,
  AuthorizeRequest,
} from './cluster/admission.js'
export type { ConnectionState } from './cluster/clientConnector.js'
export type { Member, MemberEventName } from './cluster/membership.js'
export type { DeliveryMetrics, StreamMetrics } from './delivery/types.js'
export {
  isTroupeError,
  ProtocolError,
  TROUPE_ERROR_CODES,
  TroupeError,
  type TroupeErrorCode,
} from './errors.js'
export type { CircuitBreakerOptions, CircuitMetrics, CircuitState } from './groups/circuitBreakers.js'
export type { Group, GroupAskOptions, GroupOptions, GroupReplies } from './groups/group.js'
export type { GroupStrategy } from './groups/strategies.js'
export type { BackoffOptions } from './link/backoff.js'
export { HandshakeClosedError } from './link/handshake.js'
export type { ClientSummary, HopOptions, LinkMetrics } from './link/peerLink.js'
export type { AskSettled, Node, NodeEvents, NodeMetrics } from './node/api.js'
export type { Terminated, TerminatedReason } from './node/deathWatch.js'
export { createNode } from './node/node.js'
export type { LinkOptions, NodeOptions } from './nodeOptions.js'
export type { EntityMetrics } from './placement/entityHost.js'
export type { DefineOptions, EntityBehavior, EntityContext, EntityFactory } from './placement/entityTypes.js'
export { type MemoryStorageOptions, memoryStorage } from './storage/memoryStorage.js'
export type { Lease, Storage, Stored } from './storage/storage.js'
export type { FanOutSpan, OutgoingSpan, Tracing } from './tracing/tracing.js'
export {
  CLOSE_CODES,
  type Connection,
  type ConnectionInfo,
  type Listener,
  type Transport,
} from './transport/transport.js'
export type { MemberStatus, NodeRole } from './wire/envelope.js'
export { MAX_VALUE_DEPTH } from './wire/values.js'
