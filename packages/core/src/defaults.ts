/**
 * Every default of the runtime, in one place. Option docs refer here.
 * @internal
 */
export const DEFAULTS = {
  /** Messages an actor's mailbox holds before overflow becomes `queue-full` dead letters. */
  mailboxCapacity: 10_000,
  /** How long `ask` waits for a reply. */
  askTimeoutMs: 5_000,
  /** How long a message for an unreachable node is held before it is a `ttl-expired` dead letter. */
  holdTtlMs: 10_000,
  supervision: {
    strategy: 'restart',
    /** Restarts allowed within `withinMs` before the actor is stopped instead. */
    maxRestarts: 10,
    withinMs: 60_000,
  },
  /** Messages one actor handles before it lets the host's event loop run. */
  throughput: 1_024,
  /** Most envelopes accepted in one frame. */
  maxEnvelopesPerFrame: 10_000,
  /** Largest frame accepted from the wire, checked before decoding. */
  maxFrameBytes: 1_048_576,
} as const
