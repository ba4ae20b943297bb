import { Decoder, Encoder } from '@msgpack/msgpack'
import { DEAD_LETTER_REASONS } from '../actor/deadLetter.js'
import { assertNodeId, parseAddress } from '../address.js'
import { DEFAULTS } from '../defaults.js'
import { ProtocolError } from '../errors.js'
import { ENVELOPE_CODES } from './codes.js'
import type { Envelope, MemberRecord } from './envelope.js'

type FieldKind =
  | 'uint'
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
  | 'any'
  | 'members'

type Schema = ReadonlyArray<readonly [name: string, kind: FieldKind]>

/** Field order on the wire, by envelope type: the one table both directions read. */
const SCHEMAS: Record<Envelope['type'], { code: number; fields: Schema }> = {
  hello: {
    code: ENVELOPE_CODES.HELLO,
    fields: [
      ['version', 'uint'],
      ['from', 'nodeId'],
      ['incarnation', 'uint'],
      ['role', 'role'],
      ['received', 'uint'],
      ['peerIncarnation', 'uint'],
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
      ['received', 'uint'],
      ['peerIncarnation', 'uint'],
      ['url', 'string?'],
    ],
  },
  message: {
    code: ENVELOPE_CODES.MESSAGE,
    fields: [
      ['seq', 'uint'],
      ['to', 'address'],
      ['from', 'address?'],
      ['origin', 'nodeId'],
      ['body', 'any'],
      ['askId', 'uint'],
      ['ttl', 'uint'],
    ],
  },
  reply: {
    code: ENVELOPE_CODES.REPLY,
    fields: [
      ['seq', 'uint'],
      ['node', 'nodeId'],
      ['askId', 'uint'],
      ['body', 'any'],
      ['failed', 'bool'],
    ],
  },
  dead: {
    code: ENVELOPE_CODES.DEAD,
    fields: [
      ['seq', 'uint'],
      ['node', 'nodeId'],
      ['to', 'address'],
      ['from', 'address?'],
      ['body', 'any'],
      ['askId', 'uint'],
      ['reason', 'reason'],
    ],
  },
  ack: { code: ENVELOPE_CODES.ACK, fields: [['seq', 'uint']] },
  heartbeat: {
    code: ENVELOPE_CODES.HEARTBEAT,
    fields: [
      ['sentAt', 'number'],
      ['echo', 'bool'],
    ],
  },
  gossip: { code: ENVELOPE_CODES.GOSSIP, fields: [['members', 'members']] },
  bye: { code: ENVELOPE_CODES.BYE, fields: [['reason', 'string']] },
}

const MEMBER_FIELDS: Schema = [
  ['id', 'nodeId'],
  ['role', 'role'],
  ['incarnation', 'uint'],
  ['status', 'status'],
  ['via', 'string?'],
  ['url', 'string?'],
]

const BY_CODE = new Map(Object.entries(SCHEMAS).map(([type, schema]) => [schema.code, { type, ...schema }]))
const ROLES = new Set(['hub', 'client'])
const STATUSES = new Set(['up', 'suspect', 'down', 'left'])
const REASONS = new Set<string>(DEAD_LETTER_REASONS)

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

  /**
   * Encodes one envelope on its own, so a link can know its size and refuse it
   * (an unencodable body throws here, at send time) before it is queued.
   * {@link joinFrame} then makes a frame of encoded envelopes without encoding again.
   */
  encodeEnvelope(envelope: Envelope): Uint8Array {
    return this.encoder.encode(toTuple(envelope))
  }

  decode(bytes: Uint8Array): Envelope[] {
    if (!(bytes instanceof Uint8Array)) throw new ProtocolError('frame is not binary data')
    if (bytes.byteLength > this.maxFrameBytes) {
      throw new ProtocolError(`frame of ${bytes.byteLength} bytes exceeds the limit of ${this.maxFrameBytes}`)
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
 * A frame from envelopes encoded by {@link FrameCodec.encodeEnvelope}: a msgpack
 * array header followed by the envelopes' bytes.
 */
export function joinFrame(parts: readonly Uint8Array[]): Uint8Array {
  const count = parts.length
  const headerBytes = count < 16 ? 1 : count < 0x10000 ? 3 : 5
  let total = headerBytes
  for (const part of parts) total += part.byteLength
  const frame = new Uint8Array(total)
  if (count < 16) frame[0] = 0x90 | count
  else if (count < 0x10000) {
    frame[0] = 0xdc
    frame[1] = count >>> 8
    frame[2] = count & 0xff
  } else {
    frame[0] = 0xdd
    new DataView(frame.buffer).setUint32(1, count)
  }
  let offset = headerBytes
  for (const part of parts) {
    frame.set(part, offset)
    offset += part.byteLength
  }
  return frame
}

function toTuple(envelope: Envelope): unknown[] {
  if (envelope.type === 'message') {
    // the hot path, spelled out (the round-trip property test holds it to SCHEMAS.message)
    const { seq, to, from, origin, body, askId, ttl } = envelope
    return [ENVELOPE_CODES.MESSAGE, seq, to, from ?? null, origin, body, askId, ttl]
  }
  const { code, fields } = SCHEMAS[envelope.type]
  const tuple: unknown[] = [code]
  const record = envelope as unknown as Record<string, unknown>
  for (const [name, kind] of fields) {
    const value = record[name]
    tuple.push(kind === 'members' ? (value as MemberRecord[]).map(memberTuple) : (value ?? null))
  }
  return tuple
}

function memberTuple(member: MemberRecord): unknown[] {
  const record = member as unknown as Record<string, unknown>
  return MEMBER_FIELDS.map(([name]) => record[name] ?? null)
}

function fromTuple(tuple: unknown, index: number): Envelope {
  if (!Array.isArray(tuple) || tuple.length === 0)
    throw new ProtocolError(`envelope ${index} is not an array`)
  if (tuple[0] === ENVELOPE_CODES.MESSAGE && tuple.length === 8) {
    // the hot path; anything it does not accept goes the general way, which says what is wrong
    const [, seq, to, from, origin, body, askId, ttl] = tuple
    const valid =
      fieldProblem(seq, 'uint') === undefined &&
      fieldProblem(to, 'address') === undefined &&
      fieldProblem(from, 'address?') === undefined &&
      fieldProblem(origin, 'nodeId') === undefined &&
      fieldProblem(askId, 'uint') === undefined &&
      fieldProblem(ttl, 'uint') === undefined
    if (valid) return { type: 'message', seq, to, from: from ?? undefined, origin, body, askId, ttl }
  }
  const schema = BY_CODE.get(tuple[0] as number)
  if (schema === undefined) throw new ProtocolError(`envelope ${index} has unknown type ${String(tuple[0])}`)
  const envelope = readFields(tuple, 1, schema.fields, () => `${schema.type} envelope ${index}`)
  envelope.type = schema.type
  return envelope as unknown as Envelope
}

/** Reads a tuple's fields; `where` names the tuple, and is called only to word an error. */
function readFields(
  tuple: unknown[],
  offset: number,
  fields: Schema,
  where: () => string,
): Record<string, unknown> {
  if (tuple.length !== offset + fields.length) {
    throw new ProtocolError(`${where()} has ${tuple.length - offset} fields, expected ${fields.length}`)
  }
  const out: Record<string, unknown> = {}
  for (let i = 0; i < fields.length; i++) {
    const [name, kind] = fields[i]!
    const value = tuple[offset + i]
    if (kind === 'members') out[name] = readMembers(value, () => `${where()}: field "${name}"`)
    else {
      const problem = fieldProblem(value, kind)
      if (problem !== undefined) throw new ProtocolError(`${where()}: field "${name}" ${problem}`)
      out[name] = value === null && kind.endsWith('?') ? undefined : value
    }
  }
  return out
}

function readMembers(value: unknown, where: () => string): Record<string, unknown>[] {
  if (!Array.isArray(value)) throw new ProtocolError(`${where()} must be an array`)
  return value.map((member, i) => {
    if (!Array.isArray(member)) throw new ProtocolError(`${where()}[${i}] is not an array`)
    return readFields(member, 0, MEMBER_FIELDS, () => `${where()}[${i}]`)
  })
}

/** What is wrong with `value` as a field of `kind`, or undefined if nothing is (null stands for an absent optional). */
function fieldProblem(value: unknown, kind: Exclude<FieldKind, 'members'>): string | undefined {
  switch (kind) {
    case 'any':
      return undefined
    case 'uint':
      return Number.isSafeInteger(value) && (value as number) >= 0
        ? undefined
        : 'must be a non-negative integer'
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? undefined : 'must be a finite number'
    case 'bool':
      return typeof value === 'boolean' ? undefined : 'must be a boolean'
    case 'string':
      return typeof value === 'string' ? undefined : 'must be a string'
    case 'string?':
      return value === null || typeof value === 'string' ? undefined : 'must be a string'
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
  }
}

/** Addresses and node ids already proven valid: traffic repeats them, validation need not. */
const validAddresses = new Set<string>()
const validNodeIds = new Set<string>()
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
