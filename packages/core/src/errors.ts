import type { DeadLetterReason } from './actor/deadLetter.js'

/** Every error code, in a fixed order (for docs and metrics). */
export const TROUPE_ERROR_CODES = [
  'NO_SUCH_ACTOR',
  'QUEUE_FULL',
  'ASK_TIMEOUT',
  'BAD_ADDRESS',
  'BAD_ARGUMENT',
  'DUPLICATE_NAME',
  'HANDLER_ERROR',
  'UNDELIVERABLE',
  'TTL_EXPIRED',
  'NODE_DOWN',
  'NO_SUCH_NODE',
  'NO_SUCH_KIND',
  'NO_MEMBERS',
  'CIRCUIT_OPEN',
  'TOO_LARGE',
  'UNENCODABLE',
  'PROTOCOL',
  'CONNECTION',
  'UNAUTHORIZED',
  'CLOSED',
  'STORAGE',
] as const

/** What went wrong, for callers to branch on (never on message text). */
export type TroupeErrorCode = (typeof TROUPE_ERROR_CODES)[number]

/**
 * The one error type Troupe throws or rejects with.
 *
 * @example
 * ```ts
 * try { await node.ask('echo@n1', 1) } catch (e) {
 *   if (e instanceof TroupeError && e.code === 'ASK_TIMEOUT') retry()
 * }
 * ```
 */
export class TroupeError extends Error {
  override readonly name: string = 'TroupeError'
  /** For delivery failures: the dead-letter reason the message ended with. */
  readonly reason: DeadLetterReason | undefined

  constructor(
    readonly code: TroupeErrorCode,
    message: string,
    options?: { cause?: unknown; reason?: DeadLetterReason },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause })
    this.reason = options?.reason
  }
}

/** Bytes that are not a valid frame: the connection that sent them is closed, nothing else. */
export class ProtocolError extends TroupeError {
  override readonly name = 'ProtocolError'

  constructor(message: string, options?: { cause?: unknown }) {
    super('PROTOCOL', message, options)
  }
}

/** True if `value` is a {@link TroupeError}, optionally with the given code. */
export function isTroupeError(value: unknown, code?: TroupeErrorCode): value is TroupeError {
  return value instanceof TroupeError && (code === undefined || value.code === code)
}
