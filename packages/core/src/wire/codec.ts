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
  const schema = BY_CODE.get(tuple[0] as number)
  if (schema === undefined) throw new ProtocolError(`envelope ${index} has unknown type ${String(tuple[0])}`)
  const envelope = readFields(tuple, 1, schema.fields, `${schema.type} envelope ${index}`)
  envelope.type = schema.type
  return envelope as unknown as Envelope
}

function readFields(tuple: unknown[], offset: number, fields: Schema, what: string): Record<string, unknown> {
  if (tuple.length !== offset + fields.length) {
    throw new ProtocolError(`${what} has ${tuple.length - offset} fields, expected ${fields.length}`)
  }
  const out: Record<string, unknown> = {}
  for (let i = 0; i < fields.length; i++) {
    const [name, kind] = fields[i]!
    out[name] = readField(tuple[offset + i], kind, `${what}: field "${name}"`)
  }
  return out
}

function readField(value: unknown, kind: FieldKind, what: string): unknown {
  switch (kind) {
    case 'any':
      return value
    case 'uint':
      if (Number.isSafeInteger(value) && (value as number) >= 0) return value
      throw new ProtocolError(`${what} must be a non-negative integer`)
    case 'number':
      if (typeof value === 'number' && Number.isFinite(value)) return value
      throw new ProtocolError(`${what} must be a finite number`)
    case 'bool':
      if (typeof value === 'boolean') return value
      throw new ProtocolError(`${what} must be a boolean`)
    case 'string':
      if (typeof value === 'string') return value
      throw new ProtocolError(`${what} must be a string`)
    case 'string?':
      if (value === null) return undefined
      return readField(value, 'string', what)
    case 'nodeId':
      return checked(value, what, (v) => assertNodeId(v))
    case 'address':
      return checked(value, what, (v) => parseAddress(v))
    case 'address?':
      return value === null ? undefined : checked(value, what, (v) => parseAddress(v))
    case 'role':
      return oneOf(value, ROLES, what)
    case 'status':
      return oneOf(value, STATUSES, what)
    case 'reason':
      return oneOf(value, REASONS, what)
    case 'members':
      if (!Array.isArray(value)) throw new ProtocolError(`${what} must be an array`)
      return value.map((member, i) => {
        if (!Array.isArray(member)) throw new ProtocolError(`${what}[${i}] is not an array`)
        return readFields(member, 0, MEMBER_FIELDS, `${what}[${i}]`)
      })
  }
}

function checked(value: unknown, what: string, check: (value: string) => void): string {
  if (typeof value !== 'string') throw new ProtocolError(`${what} must be a string`)
  try {
    check(value)
  } catch (error) {
    throw new ProtocolError(`${what}: ${(error as Error).message}`)
  }
  return value
}

function oneOf(value: unknown, allowed: ReadonlySet<string>, what: string): string {
  if (typeof value === 'string' && allowed.has(value)) return value
  throw new ProtocolError(`${what} must be one of ${[...allowed].join(', ')}`)
}
