import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { Letter } from '../actor/letter.js'
import type { Address } from '../address.js'
import { TroupeError, type TroupeErrorCode } from '../errors.js'
import type { DeadEnvelope, MessageEnvelope, ReplyEnvelope } from '../wire/envelope.js'
import { decodeValue, encodeValue, withStack } from '../wire/values.js'

/** The error code an ask fails with when its message ends as a dead letter for `reason`. @internal */
export const CODE_OF: Record<DeadLetterReason, TroupeErrorCode> = {
  'no-such-actor': 'NO_SUCH_ACTOR',
  'queue-full': 'QUEUE_FULL',
  rejected: 'UNAUTHORIZED',
  stopped: 'CLOSED',
  'ttl-expired': 'TTL_EXPIRED',
  'node-down': 'NODE_DOWN',
  'no-such-node': 'NO_SUCH_NODE',
  'no-such-kind': 'NO_SUCH_KIND',
  'no-members': 'NO_MEMBERS',
  'circuit-open': 'CIRCUIT_OPEN',
  'too-large': 'TOO_LARGE',
  unencodable: 'UNENCODABLE',
  'no-reply-target': 'UNDELIVERABLE',
}

const STREAM_UNSET = { seq: 0, base: 0 } as const

/** The envelope of a letter for another node; its body is `body`, already encoded. @internal */
export function messageEnvelope(letter: Letter, body: Uint8Array, incarnation: number): MessageEnvelope {
  const { to, from, askId, origin, trace } = letter
  return {
    type: 'message',
    ...STREAM_UNSET,
    origin,
    originIncarnation: incarnation,
    to,
    from,
    askId,
    body,
    trace,
  }
}

/** The answer to ask `askId` of node `dest`: a value, or the handler's error. @internal */
export function replyEnvelope(
  origin: string,
  incarnation: number,
  dest: string,
  askId: number,
  answer: { value: unknown } | { error: unknown; stack: boolean },
): ReplyEnvelope {
  const failed = 'error' in answer
  const body = failed ? encodeValue(wireError(answer.error, answer.stack)) : encodeValue(answer.value)
  return { type: 'reply', ...STREAM_UNSET, origin, originIncarnation: incarnation, dest, askId, failed, body }
}

/** Tells `letter`'s origin that it became a dead letter here for `reason`. @internal */
export function deadEnvelope(
  letter: Letter,
  reason: DeadLetterReason,
  self: string,
  incarnation: number,
): DeadEnvelope {
  const { to, from, askId, origin, message } = letter
  let body: Uint8Array
  try {
    body = encodeValue(message)
  } catch {
    body = encodeValue(undefined) // it could not be read here in the first place
  }
  return {
    type: 'dead',
    ...STREAM_UNSET,
    origin: self,
    originIncarnation: incarnation,
    dest: origin,
    to,
    from,
    askId,
    reason,
    body,
  }
}

/** A message envelope back as the letter it was. @internal */
export function letterOf(
  envelope: MessageEnvelope | DeadEnvelope,
  origin: string,
  askId = envelope.askId,
): Letter {
  return { to: envelope.to, from: envelope.from, message: bodyOf(envelope.body), askId, origin }
}

/** The letter a reply stands for, for dead-letter reports: to `$reply@<node>`. @internal */
export function replyLetter(node: string, from: Address, value: unknown): Letter {
  return { to: `$reply@${node}`, from, message: value, askId: 0, origin: node }
}

/** An encoded body, or undefined if it cannot be read (a dead letter still says where it was going). */
function bodyOf(body: Uint8Array): unknown {
  try {
    return decodeValue(body)
  } catch {
    return undefined
  }
}

/** What crosses the wire of a handler's error: name, message, code and cause, and the stack if asked for. */
function wireError(error: unknown, stack: boolean): Error {
  if (!(error instanceof Error)) return new Error(String(error))
  const copy = new Error(error.message, sendableCause(error.cause))
  copy.name = error.name
  const code = (error as { code?: unknown }).code
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code })
  if (stack && error.stack !== undefined) withStack(copy, error.stack)
  return copy
}

function sendableCause(cause: unknown): { cause: unknown } | undefined {
  if (cause === undefined) return undefined
  if (cause instanceof Error) return { cause: wireError(cause, false) }
  try {
    encodeValue(cause)
    return { cause }
  } catch {
    return { cause: String(cause) }
  }
}

/** The error an asker sees when the handler of its ask failed on another node. @internal */
export function handlerError(to: string, remote: unknown): TroupeError {
  const text = remote instanceof Error ? remote.message : String(remote)
  return new TroupeError('HANDLER_ERROR', `the handler of "${to}" failed: ${text}`, { cause: remote })
}
