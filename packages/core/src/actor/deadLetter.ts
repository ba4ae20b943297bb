import type { Address } from '../address.js'

/**
 * Why a message was not delivered:
 * - `no-such-actor`: no actor has the target name on the target node;
 * - `ttl-expired`: the target node stayed unreachable longer than the message's TTL;
 * - `queue-full`: a bounded queue (mailbox, link or hold queue) was full;
 * - `node-down`: the target node is down or unknown and the message could not wait;
 * - `rejected`: an authorize hook refused it;
 * - `stopped`: the target actor or node stopped before handling it;
 * - `no-reply-target`: a reply with nobody to take it (no sender, or the ask already ended).
 */
export type DeadLetterReason =
  | 'no-such-actor'
  | 'ttl-expired'
  | 'queue-full'
  | 'node-down'
  | 'rejected'
  | 'stopped'
  | 'no-reply-target'

/** Every reason, in a fixed order (for metrics). */
export const DEAD_LETTER_REASONS: readonly DeadLetterReason[] = [
  'no-such-actor',
  'ttl-expired',
  'queue-full',
  'node-down',
  'rejected',
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
