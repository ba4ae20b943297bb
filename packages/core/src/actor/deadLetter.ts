import type { Address } from '../address.js'

/**
 * Why a message was not delivered:
 * - `no-such-actor`: no actor has the target name on the target node;
 * - `ttl-expired`: the target node stayed unreachable longer than the message's TTL;
 * - `queue-full`: a bounded queue (mailbox, or the queue of messages for a node) was full;
 * - `node-down`: the target node went down or left, and the message could not wait;
 * - `no-such-node`: no node of the cluster has the target node's id;
 * - `no-such-kind`: no node hosts entities of the target's kind;
 * - `no-members`: the target group has no members;
 * - `circuit-open`: asks to the target node fail fast for a while (it failed too often; see `circuitBreaker`);
 * - `rejected`: a hub refused it (`authorize`, or a client sending as someone else);
 * - `too-large`: the encoded message is larger than `link.maxMessageBytes`;
 * - `unencodable`: the message holds something that cannot cross the wire, or arrived malformed;
 * - `stopped`: the target actor or node stopped before handling it;
 * - `no-reply-target`: a reply with nobody to take it (no sender, or the ask already ended).
 */
export type DeadLetterReason =
  | 'no-such-actor'
  | 'ttl-expired'
  | 'queue-full'
  | 'node-down'
  | 'no-such-node'
  | 'no-such-kind'
  | 'no-members'
  | 'circuit-open'
  | 'rejected'
  | 'too-large'
  | 'unencodable'
  | 'stopped'
  | 'no-reply-target'

/** Every reason, in a fixed order (for metrics). */
export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = [
  'no-such-actor',
  'ttl-expired',
  'queue-full',
  'node-down',
  'no-such-node',
  'no-such-kind',
  'no-members',
  'circuit-open',
  'rejected',
  'too-large',
  'unencodable',
  'stopped',
  'no-reply-target',
]

/** A message that was not delivered, emitted as the node's `deadletter` event. */
export interface DeadLetter {
  /** The address the message was for. */
  readonly to: Address
  /** The sending actor's address, if it was sent by an actor. */
  readonly from: Address | undefined
  readonly message: unknown
  readonly reason: DeadLetterReason
  /** More about why, when there is more to say (`the queue to "b" is full`). */
  readonly detail?: string | undefined
}
