import { Decoder, Encoder } from '@msgpack/msgpack'
import { DEAD_LETTER_REASONS } from '../actor/deadLetter.js'
import { assertActorName, assertNodeId, parseAddress } from '../address.js'
import { DEFAULTS } from '../defaults.js'
import { ProtocolError } from '../errors.js'
import { GROUP_NAME, MAX_GROUP_ENTRIES, MAX_WATCHED_GROUPS } from '../groups/names.js'
import { ENVELOPE_CODES } from './codes.js'
import { msgpackTooDeep } from './depth.js'
import {
  type DataEnvelope,
  type Envelope,
  MAX_ASK_ID,
  type MemberRecord,
  type MessageEnvelope,
  type ReplyEnvelope,
} from './envelope.js'

type FieldKind =
  | 'uint'
  | 'position'
  | 'askId'
  | 'number'
  | 'bool'
  | 'string'
  | 'string?'
  | 'nodeId'
  | 'address'
  | 'address?'
  | 'role'
  | 'status'
  | 'reason'
  | 'unreachable'
  | 'bytes'
  | 'members'
  | 'kinds'
  | 'trace'
  | 'summary'
  | 'groupNames'
  | 'groupEntries'
  | 'load'

type Schema = ReadonlyArray<readonly [name: string, kind: FieldKind]>

interface EnvelopeSchema {
  code: number
  fields: Schema
  /** How many of the last fields may be left out (they are read as undefined). */
  optional?: number
}

/** The fields every data envelope starts with (`seq` and `base` are given at each send, see {@link FrameCodec.encodeData}). */
const STREAM_FIELDS: Schema = [
  ['seq', 'position'],
  ['base', 'position'],
  ['origin', 'nodeId'],
  ['originIncarnation', 'uint'],
]

/** Field order on the wire, by envelope type: the one table both directions read. */
const SCHEMAS: Record<Envelope['type'], EnvelopeSchema> = {
  hello: {
    code: ENVELOPE_CODES.HELLO,
    fields: [
      ['version', 'uint'],
      ['from', 'nodeId'],
      ['incarnation', 'uint'],
      ['role', 'role'],
      ['token', 'string?'],
      ['url', 'string?'],
    ],
  },
  welcome: {
    code: ENVELOPE_CODES.WELCOME,
    fields: [
      ['version', 'uint'],
      ['from', 'nodeId'],
      ['incarnation', 'uint'],
      ['role', 'role'],
      ['url', 'string?'],
      ['maxTtlMs', 'uint'],
    ],
  },
  message: {
    code: ENVELOPE_CODES.MESSAGE,
    fields: [
      ...STREAM_FIELDS,
      ['to', 'address'],
      ['from', 'address?'],
      ['askId', 'askId'],
      ['body', 'bytes'],
      ['trace', 'trace'],
    ],
    optional: 1,
  },
  reply: {
    code: ENVELOPE_CODES.REPLY,
    fields: [...STREAM_FIELDS, ['dest', 'nodeId'], ['askId', 'askId'], ['failed', 'bool'], ['body', 'bytes']],
  },
  dead: {
    code: ENVELOPE_CODES.DEAD,
    fields: [
      ...STREAM_FIELDS,
      ['dest', 'nodeId'],
      ['to', 'address'],
      ['from', 'address?'],
      ['askId', 'askId'],
      ['reason', 'reason'],
      ['body', 'bytes'],
    ],
  },
  skip: { code: ENVELOPE_CODES.SKIP, fields: [...STREAM_FIELDS, ['dest', 'nodeId']] },
  ack: {
    code: ENVELOPE_CODES.ACK,
    fields: [
      ['from', 'nodeId'],
      ['fromIncarnation', 'uint'],
      ['dest', 'nodeId'],
      ['destIncarnation', 'uint'],
      ['seq', 'uint'],
      ['gap', 'bool'],
    ],
  },
  unreachable: {
    code: ENVELOPE_CODES.UNREACHABLE,
    fields: [
      ['dest', 'nodeId'],
      ['node', 'nodeId'],
      ['reason', 'unreachable'],
    ],
  },
  refused: {
    code: ENVELOPE_CODES.REFUSED,
    fields: [
      ['dest', 'nodeId'],
      ['node', 'nodeId'],
      ['seq', 'uint'],
      ['reason', 'reason'],
      ['detail', 'string'],
    ],
  },
  heartbeat: {
    code: ENVELOPE_CODES.HEARTBEAT,
    fields: [
      ['sentAt', 'number'],
      ['echo', 'bool'],
      ['load', 'load'],
      ['summary', 'summary'],
    ],
  },
  gossip: { code: ENVELOPE_CODES.GOSSIP, fields: [['members', 'members']] },
  hosts: { code: ENVELOPE_CODES.HOSTS, fields: [['kinds', 'kinds']] },
  groups: {
    code: ENVELOPE_CODES.GROUPS,
    fields: [
      ['node', 'nodeId'],
      ['incarnation', 'uint'],
      ['rev', 'uint'],
      ['entries', 'groupEntries'],
    ],
  },
  'watch-groups': { code: ENVELOPE_CODES.WATCH_GROUPS, fields: [['groups', 'groupNames']] },
  bye: { code: ENVELOPE_CODES.BYE, fields: [['reason', 'string']] },
}

const MEMBER_FIELDS: Schema = [
  ['id', 'nodeId'],
  ['role', 'role'],
  ['incarnation', 'uint'],
  ['status', 'status'],
  ['via', 'string?'],
  ['url', 'string?'],
  ['principal', 'string?'],
  ['kinds', 'kinds'],
]

const BY_CODE = new Map(Object.entries(SCHEMAS).map(([type, schema]) => [schema.code, { type, ...schema }]))
const ROLES = new Set(['hub', 'client'])
const STATUSES = new Set(['up', 'suspect', 'down', 'left'])
const UNREACHABLE_REASONS = new Set(['unknown', 'down', 'left', 'no-route'])
const REASONS = new Set<string>(DEAD_LETTER_REASONS)
/** frame → envelope → members → member → kinds: nothing valid nests deeper. */
const MAX_FRAME_DEPTH = 5
/** Longest trace context (`traceparent` is 55 characters; `tracestate` at most 512 by the W3C). */
const MAX_TRACE_LENGTH = 600
/** Most figures in a client's summary (six now; room to add). */
const MAX_SUMMARY_LENGTH = 16
/** Most actors one heartbeat reports the load of. */
const MAX_LOAD_ENTRIES = 64
/** Most entity kinds one node may host. */
const MAX_KINDS = 64
const KIND_NAME = /^[A-Za-z0-9_.-]{1,64}$/

/** Limits a codec enforces on what it decodes. */
export interface CodecOptions {
  /** Largest frame accepted, checked before decoding. @default 1_048_576 */
  maxFrameBytes?: number
  /** Most envelopes in one frame. @default 10_000 */
  maxEnvelopesPerFrame?: number
}

/**
 * Encodes batches of envelopes into frames (one msgpack array of envelope
 * tuples) and decodes them back. Decoding validates everything it returns:
 * any byte string either yields valid envelopes or throws {@link ProtocolError}.
 * Message bodies stay encoded (`Uint8Array`); `decodeValue` opens them where
 * they are delivered, so a hub relays them without decoding them.
 */
export class FrameCodec {
  readonly maxFrameBytes: number
  readonly maxEnvelopesPerFrame: number
  private readonly encoder = new Encoder()
  private readonly decoder: Decoder

  constructor(options: CodecOptions = {}) {
    this.maxFrameBytes = options.maxFrameBytes ?? DEFAULTS.maxFrameBytes
    this.maxEnvelopesPerFrame = options.maxEnvelopesPerFrame ?? DEFAULTS.maxEnvelopesPerFrame
    const max = this.maxFrameBytes
    this.decoder = new Decoder({
      maxStrLength: max,
      maxBinLength: max,
      maxArrayLength: max,
      maxMapLength: max,
      maxExtLength: max,
    })
  }

  encode(envelopes: readonly Envelope[]): Uint8Array {
    return joinFrame(envelopes.map((envelope) => this.encodeEnvelope(envelope)))
  }

  /** Encodes one envelope on its own; {@link joinFrame} makes frames of such parts without encoding again. */
  encodeEnvelope(envelope: Envelope): Uint8Array {
    const { code, fields } = SCHEMAS[envelope.type]
    const record = envelope as unknown as Record<string, unknown>
    const tuple: unknown[] = [code]
    for (const [name, kind] of fields) {
      const value = record[name]
      if (kind === 'members') tuple.push((value as MemberRecord[]).map(memberTuple))
      else if (value !== undefined || !(name === 'trace')) tuple.push(value ?? null)
    }
    return this.encoder.encode(tuple)
  }

  /**
   * Encodes a data envelope at stream position `seq` with `base`: its origin keeps the envelope, not its
   * bytes, and may send it again later with another base. The bytes are the codec's own buffer, valid
   * until it encodes again: copy them at once.
   */
  encodeData(envelope: DataEnvelope, seq: number, base: number): Uint8Array {
    const { code, fields } = SCHEMAS[envelope.type]
    const record = envelope as unknown as Record<string, unknown>
    const tuple: unknown[] = [code, seq, base]
    for (let i = 2; i < fields.length; i++) {
      const name = fields[i]![0]
      const value = record[name]
      if (value !== undefined || name !== 'trace') tuple.push(value ?? null)
    }
    return this.encoder.encodeSharedRef(tuple)
  }

  decode(bytes: Uint8Array): Envelope[] {
    if (!(bytes instanceof Uint8Array)) throw new ProtocolError('frame is not binary data')
    if (bytes.byteLength > this.maxFrameBytes) {
      throw new ProtocolError(`frame of ${bytes.byteLength} bytes exceeds the limit of ${this.maxFrameBytes}`)
    }
    if (msgpackTooDeep(bytes, MAX_FRAME_DEPTH)) {
      throw new ProtocolError(`frame nests deeper than ${MAX_FRAME_DEPTH} levels`)
    }
    let value: unknown
    try {
      value = this.decoder.decode(bytes)
    } catch (error) {
      throw new ProtocolError(`frame is not valid msgpack: ${(error as Error).message}`, { cause: error })
    }
    if (!Array.isArray(value) || value.length === 0) throw new ProtocolError('frame is not a non-empty array')
    if (value.length > this.maxEnvelopesPerFrame) {
      throw new ProtocolError(
        `frame has ${value.length} envelopes, over the limit of ${this.maxEnvelopesPerFrame}`,
      )
    }
    return value.map((tuple, i) => fromTuple(tuple, i))
  }
}

/**
 * Whether nothing follows `envelope`'s body in what {@link FrameCodec.encodeData}
 * writes, so the encoding's last bytes are the body itself (a message's trace,
 * when it has one, comes after it).
 */
export function bodyIsLast(envelope: DataEnvelope): boolean {
  const { fields } = SCHEMAS[envelope.type]
  const record = envelope as unknown as Record<string, unknown>
  for (let i = fields.length - 1; i >= 0; i--) {
    const name = fields[i]![0]
    if (name === 'body') return true
    if (record[name] !== undefined || name !== 'trace') return false // written after the body
  }
  return false
}

/**
 * A frame from envelopes encoded on their own: a msgpack array header for
 * `envelopes` of them, followed by `parts` (each one or more whole envelopes).
 */
export function joinFrame(parts: readonly Uint8Array[], envelopes = parts.length): Uint8Array {
  const headerBytes = envelopes < 16 ? 1 : envelopes < 0x10000 ? 3 : 5
  let total = headerBytes
  for (const part of parts) total += part.byteLength
  const frame = new Uint8Array(total)
  if (envelopes < 16) frame[0] = 0x90 | envelopes
  else if (envelopes < 0x10000) {
    frame[0] = 0xdc
    frame[1] = envelopes >>> 8
    frame[2] = envelopes & 0xff
  } else {
    frame[0] = 0xdd
    new DataView(frame.buffer).setUint32(1, envelopes)
  }
  let offset = headerBytes
  for (const part of parts) {
    frame.set(part, offset)
    offset += part.byteLength
  }
  return frame
}

function memberTuple(member: MemberRecord): unknown[] {
  const record = member as unknown as Record<string, unknown>
  return MEMBER_FIELDS.map(([name]) => record[name] ?? null)
}

function fromTuple(tuple: unknown, index: number): Envelope {
  if (!Array.isArray(tuple) || tuple.length === 0)
    throw new ProtocolError(`envelope ${index} is not an array`)
  // the hot paths; anything they do not accept goes the general way, which says what is wrong
  const fast =
    tuple[0] === ENVELOPE_CODES.MESSAGE
      ? messageFrom(tuple)
      : tuple[0] === ENVELOPE_CODES.REPLY
        ? replyFrom(tuple)
        : undefined
  if (fast !== undefined) return fast
  const schema = BY_CODE.get(tuple[0] as number)
  if (schema === undefined) throw new ProtocolError(`envelope ${index} has unknown type ${String(tuple[0])}`)
  const envelope = readFields(tuple, 1, schema, () => `${schema.type} envelope ${index}`)
  envelope.type = schema.type
  return envelope as unknown as Envelope
}

/** A message tuple as its envelope, or undefined for anything the general way should look at. */
function messageFrom(tuple: unknown[]): MessageEnvelope | undefined {
  if (tuple.length !== 9) return undefined
  const [, seq, base, origin, originIncarnation, to, from, askId, body] = tuple
  const valid =
    isStreamHead(seq, base, origin, originIncarnation) &&
    isAskId(askId) &&
    body instanceof Uint8Array &&
    fieldProblem(to, 'address') === undefined &&
    fieldProblem(from, 'address?') === undefined
  if (!valid) return undefined
  return {
    type: 'message',
    seq,
    base,
    origin,
    originIncarnation,
    to,
    from: from ?? undefined,
    askId,
    body,
    trace: undefined,
  } as MessageEnvelope
}

/** A reply tuple as its envelope, or undefined for anything the general way should look at. */
function replyFrom(tuple: unknown[]): ReplyEnvelope | undefined {
  if (tuple.length !== 9) return undefined
  const [, seq, base, origin, originIncarnation, dest, askId, failed, body] = tuple
  const valid =
    isStreamHead(seq, base, origin, originIncarnation) &&
    fieldProblem(dest, 'nodeId') === undefined &&
    isAskId(askId) &&
    typeof failed === 'boolean' &&
    body instanceof Uint8Array
  if (!valid) return undefined
  return { type: 'reply', seq, base, origin, originIncarnation, dest, askId, failed, body } as ReplyEnvelope
}

const isStreamHead = (seq: unknown, base: unknown, origin: unknown, originIncarnation: unknown): boolean =>
  isPosition(seq) &&
  isPosition(base) &&
  isUint(originIncarnation) &&
  fieldProblem(origin, 'nodeId') === undefined

/** Reads a tuple's fields; `where` names the tuple, and is called only to word an error. */
function readFields(
  tuple: unknown[],
  offset: number,
  schema: Pick<EnvelopeSchema, 'fields' | 'optional'>,
  where: () => string,
): Record<string, unknown> {
  const { fields, optional = 0 } = schema
  const count = tuple.length - offset
  if (count > fields.length || count < fields.length - optional) {
    const expected = optional === 0 ? `${fields.length}` : `${fields.length - optional} to ${fields.length}`
    throw new ProtocolError(`${where()} has ${count} fields, expected ${expected}`)
  }
  const out: Record<string, unknown> = {}
  for (let i = 0; i < fields.length; i++) {
    const [name, kind] = fields[i]!
    if (i >= count) {
      out[name] = undefined
      continue
    }
    const value = tuple[offset + i]
    if (kind === 'members') out[name] = readMembers(value, () => `${where()}: field "${name}"`)
    else {
      const problem = fieldProblem(value, kind)
      if (problem !== undefined) throw new ProtocolError(`${where()}: field "${name}" ${problem}`)
      out[name] = value === null && (kind.endsWith('?') || kind === 'trace') ? undefined : value
    }
  }
  return out
}

function readMembers(value: unknown, where: () => string): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new ProtocolError(`${where()} must be an array`)
  return value.map((member, i) => {
    if (!Array.isArray(member)) throw new ProtocolError(`${where()}[${i}] is not an array`)
    return readFields(member, 0, { fields: MEMBER_FIELDS }, () => `${where()}[${i}]`)
  })
}

const isUint = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0
/** A place in a stream: positions start at 1 (an ack of 0 says nothing has arrived). */
const isPosition = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 1
const isAskId = (value: unknown): value is number => isUint(value) && value <= MAX_ASK_ID

/** What is wrong with `value` as a field of `kind`, or undefined if nothing is (null stands for an absent optional). */
function fieldProblem(value: unknown, kind: Exclude<FieldKind, 'members'>): string | undefined {
  switch (kind) {
    case 'uint':
      return isUint(value) ? undefined : 'must be a non-negative integer'
    case 'position':
      return isPosition(value) ? undefined : 'must be a positive integer'
    case 'askId':
      return isAskId(value) ? undefined : `must be an integer from 0 to ${MAX_ASK_ID}`
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a finite number'
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'must be a boolean'
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string'
    case 'string?':
      return value === null || typeof value === 'string' ? undefined : 'must be a string'
    case 'bytes':
      return value instanceof Uint8Array ? undefined : 'must be binary'
    case 'nodeId':
      return validity(value, assertNodeId, validNodeIds)
    case 'address':
      return validity(value, parseAddress, validAddresses)
    case 'address?':
      return value === null ? undefined : validity(value, parseAddress, validAddresses)
    case 'role':
      return oneOf(value, ROLES)
    case 'status':
      return oneOf(value, STATUSES)
    case 'reason':
      return oneOf(value, REASONS)
    case 'unreachable':
      return oneOf(value, UNREACHABLE_REASONS)
    case 'kinds':
      return Array.isArray(value) &&
        value.length <= MAX_KINDS &&
        value.every((kind) => typeof kind === 'string' && KIND_NAME.test(kind))
        ? undefined
        : `must be at most ${MAX_KINDS} entity kind names`
    case 'trace':
      return value === null || (typeof value === 'string' && value.length <= MAX_TRACE_LENGTH)
        ? undefined
        : `must be a trace context of at most ${MAX_TRACE_LENGTH} characters`
    case 'summary':
      return Array.isArray(value) && value.length <= MAX_SUMMARY_LENGTH && value.every(isUint)
        ? undefined
        : `must be at most ${MAX_SUMMARY_LENGTH} non-negative integers`
    case 'groupNames':
      return Array.isArray(value) && value.length <= MAX_WATCHED_GROUPS && value.every(isGroupName)
        ? undefined
        : `must be at most ${MAX_WATCHED_GROUPS} group names`
    case 'groupEntries':
      return pairsProblem(value, MAX_GROUP_ENTRIES, isGroupName, isActorName, 'group and actor names')
    case 'load':
      return pairsProblem(value, MAX_LOAD_ENTRIES, isActorName, isUint, 'actor names and mailbox depths')
  }
}

/** What is wrong with `value` as a flat list of at most `max` pairs, or undefined. */
function pairsProblem(
  value: unknown,
  max: number,
  first: (value: unknown) => boolean,
  second: (value: unknown) => boolean,
  what: string,
): string | undefined {
  if (!Array.isArray(value) || value.length % 2 !== 0 || value.length > max * 2)
    return `must be at most ${max} pairs of ${what}`
  for (let i = 0; i < value.length; i += 2) {
    if (!first(value[i]) || !second(value[i + 1])) return `has a bad pair at ${i / 2}: expected ${what}`
  }
  return undefined
}

const isGroupName = (value: unknown): boolean => typeof value === 'string' && GROUP_NAME.test(value)
const isActorName = (value: unknown): boolean => validity(value, assertActorName, validNames) === undefined

/** Addresses and node ids already proven valid: traffic repeats them, validation need not. */
const validAddresses = new Set<string>()
const validNodeIds = new Set<string>()
const validNames = new Set<string>()
const MAX_VALIDATED = 10_000

function validity(
  value: unknown,
  check: (value: string) => void,
  validated: Set<string>,
): string | undefined {
  if (typeof value !== 'string') return 'must be a string'
  if (validated.has(value)) return undefined
  try {
    check(value)
  } catch (error) {
    return `is not valid: ${(error as Error).message}`
  }
  if (validated.size >= MAX_VALIDATED) validated.clear()
  validated.add(value)
  return undefined
}

function oneOf(value: unknown, allowed: ReadonlySet<string>): string | undefined {
  return typeof value === 'string' && allowed.has(value)
    ? undefined
    : `must be one of ${[...allowed].join(', ')}`
}
