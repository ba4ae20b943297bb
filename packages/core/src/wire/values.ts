import { Decoder, Encoder, ExtensionCodec } from '@msgpack/msgpack'
import { ProtocolError, TroupeError } from '../errors.js'
import { msgpackTooDeep } from './depth.js'

/**
 * The values a message may carry, the same locally and across the wire:
 * `null`, `undefined`, booleans, numbers, strings, `BigInt`, arrays, plain
 * objects, `Map`, `Set`, `Date`, `Uint8Array`, `Error` (name, message,
 * `code`, `cause`) and actor refs (they arrive as refs of the receiving node),
 * nested in any way up to {@link MAX_VALUE_DEPTH} levels.
 * Functions, symbols and class instances cannot cross: they are refused where
 * they are sent, with an error naming where in the message they are.
 */
export const MAX_VALUE_DEPTH = 64

const MAX_WIRE_DEPTH = 2 * MAX_VALUE_DEPTH + 2

/** msgpack extension type codes of the values msgpack has no type for (Date uses msgpack's own timestamp). */
const EXT = { UNDEFINED: 0, MAP: 1, SET: 2, BIGINT: 3, BYTES: 4, ERROR: 5, REF: 6 } as const

/** Where an actor ref keeps the address it crosses the wire as (refs are class instances, which otherwise cannot cross). */
export const REF_ADDRESS: unique symbol = Symbol.for('troupe.ref-address')

/** Makes a ref of the receiving node from an address, while a body is being decoded. */
let makeRef: (address: string) => unknown = (address) => ({ address })
/** Extensions whose data is itself msgpack, and so counts towards the nesting depth. */
export const NESTED_EXT_TYPES: ReadonlySet<number> = new Set([EXT.MAP, EXT.SET, EXT.ERROR])

/** Errors whose stack crosses the wire with them (see {@link withStack}). */
const STACKS = new WeakMap<Error, string>()

/** Marks `error` to carry `stack` across the wire (remote handler errors, when a node is asked to). */
export function withStack(error: Error, stack: string): void {
  STACKS.set(error, stack)
}

/** Stands for `undefined` where msgpack would write nil (in arrays, maps, sets, object values). */
const UNDEFINED = Object.freeze({ undefined: true })

const extensions = new ExtensionCodec()
const encoder = new Encoder({ extensionCodec: extensions, maxDepth: MAX_VALUE_DEPTH * 2 })
const decoder = new Decoder({ extensionCodec: extensions })
/** For the data of extensions, which are encoded while `encoder` is busy with the value around them. */
const inner = new Encoder({ extensionCodec: extensions, maxDepth: MAX_VALUE_DEPTH * 2 })
const innerDecoder = new Decoder({ extensionCodec: extensions })

extensions.register({
  type: EXT.UNDEFINED,
  encode: (value) => (value === UNDEFINED ? new Uint8Array(0) : null),
  decode: () => undefined,
})
extensions.register({
  type: EXT.MAP,
  encode: (value) => (value instanceof Map ? inner.encode([...value].flat()) : null),
  decode: (data) => {
    const flat = innerDecoder.decode(data) as unknown[]
    const map = new Map()
    for (let i = 0; i < flat.length; i += 2) map.set(flat[i], flat[i + 1])
    return map
  },
})
extensions.register({
  type: EXT.SET,
  encode: (value) => (value instanceof Set ? inner.encode([...value]) : null),
  decode: (data) => new Set(innerDecoder.decode(data) as unknown[]),
})
extensions.register({
  type: EXT.BIGINT,
  encode: (value) => (typeof value === 'bigint' ? inner.encode(value.toString()) : null),
  decode: (data) => BigInt(innerDecoder.decode(data) as string),
})
extensions.register({
  type: EXT.BYTES,
  encode: (value) => (value instanceof Uint8Array ? value : null),
  // a copy: the decoded value must not keep the whole received frame alive
  decode: (data) => data.slice(),
})
extensions.register({
  type: EXT.REF,
  encode: (value) => {
    const address = (value as { [REF_ADDRESS]?: unknown } | null)?.[REF_ADDRESS]
    return typeof address === 'string' ? inner.encode(address) : null
  },
  decode: (data) => makeRef(String(innerDecoder.decode(data))),
})
extensions.register({
  type: EXT.ERROR,
  encode: (value) => {
    if (!(value instanceof Error)) return null
    const { code, cause } = value as { code?: unknown; cause?: unknown }
    const fields = [value.name, value.message, code ?? null, cause === undefined ? UNDEFINED : cause]
    const stack = STACKS.get(value)
    return inner.encode(stack === undefined ? fields : [...fields, stack])
  },
  decode: (data) => {
    const [name, message, code, cause, stack] = innerDecoder.decode(data) as unknown[]
    const error = new Error(String(message), cause === undefined ? undefined : { cause })
    error.name = String(name)
    if (code !== null) Object.assign(error, { code })
    // a stack from this process would say nothing true: the sender's, if it sent one, or none
    error.stack = typeof stack === 'string' ? stack : `${error.name}: ${error.message}`
    return error
  },
})

/**
 * Encodes a message for the wire. Throws `UNENCODABLE` naming the first part
 * that cannot cross (`message.items[3].callback is a function`).
 */
export function encodeValue(value: unknown): Uint8Array {
  const prepared = prepareValue(value, 'message')
  try {
    return encoder.encode(prepared)
  } catch (error) {
    throw new TroupeError('UNENCODABLE', `the message cannot be encoded: ${(error as Error).message}`, {
      cause: error,
    })
  }
}

/**
 * Decodes what {@link encodeValue} made; refs in it are made by `refs` (a
 * node passes its own, so they are refs it can send through). Throws
 * {@link ProtocolError} for bytes that are not such a value.
 */
export function decodeValue(bytes: Uint8Array, refs?: (address: string) => unknown): unknown {
  // a Map, Set or Error is two levels on the wire (the extension, and the array inside it)
  if (msgpackTooDeep(bytes, MAX_WIRE_DEPTH, NESTED_EXT_TYPES)) {
    throw new ProtocolError(`message body nests deeper than ${MAX_VALUE_DEPTH} levels`)
  }
  const previous = makeRef
  if (refs !== undefined) makeRef = refs
  try {
    return decoder.decode(bytes)
  } catch (error) {
    throw new ProtocolError(`message body is not a valid value: ${(error as Error).message}`, {
      cause: error,
    })
  } finally {
    makeRef = previous
  }
}

/**
 * Checks that `value` can cross the wire, throwing `UNENCODABLE` with the path
 * of the first part that cannot. Returns the value to encode: `value` itself,
 * or, when it holds an `undefined` that msgpack would turn into nil, a copy
 * with a stand-in the decoder turns back into `undefined`.
 */
export function prepareValue(value: unknown, root: string): unknown {
  // most messages are a number or a string: nothing to look into, nothing to allocate
  if (isScalar(value)) return value
  const path: Array<string | number> = []
  return needsStandIn(value, path, root, 0) ? withStandIns(value) : value
}

function needsStandIn(value: unknown, path: Array<string | number>, root: string, depth: number): boolean {
  switch (typeof value) {
    case 'string':
    case 'number':
    case 'boolean':
    case 'bigint':
      return false
    case 'undefined':
      return true
    case 'function':
      throw unsendable(root, path, 'is a function')
    case 'symbol':
      throw unsendable(root, path, 'is a symbol')
  }
  if (value === null) return false
  const object = value as object
  if (depth >= MAX_VALUE_DEPTH) {
    throw unsendable(root, path, `nests deeper than ${MAX_VALUE_DEPTH} levels (a cycle?)`)
  }
  let found = false
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) if (childNeedsStandIn(value[i], i, path, root, depth)) found = true
    return found
  }
  const proto = Object.getPrototypeOf(object)
  if (proto === Object.prototype || proto === null) {
    for (const key of Object.keys(object)) {
      if (childNeedsStandIn((object as Record<string, unknown>)[key], key, path, root, depth)) found = true
    }
    return found
  }
  if (value instanceof Map) {
    let i = 0
    for (const [key, entry] of value) {
      if (childNeedsStandIn(key, `<key ${i}>`, path, root, depth)) found = true
      if (childNeedsStandIn(entry, `<value ${i++}>`, path, root, depth)) found = true
    }
    return found
  }
  if (value instanceof Set) {
    let i = 0
    for (const member of value)
      if (childNeedsStandIn(member, `<member ${i++}>`, path, root, depth)) found = true
    return found
  }
  if (value instanceof Date) return false
  if (value instanceof Uint8Array) return false
  if (typeof (object as { [REF_ADDRESS]?: unknown })[REF_ADDRESS] === 'string') return false
  if (value instanceof Error) {
    childNeedsStandIn((value as { cause?: unknown }).cause, 'cause', path, root, depth)
    return false // the error's fields are written by its extension, which keeps undefined itself
  }
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    throw unsendable(root, path, `is a ${proto?.constructor?.name ?? 'binary view'}: send a Uint8Array`)
  }
  const kind = typeof proto?.constructor === 'function' ? proto.constructor.name : 'an object'
  throw unsendable(
    root,
    path,
    `is an instance of ${kind || 'a class'}: only plain objects, arrays, Map, Set, Date, BigInt, Uint8Array, Error and actor refs cross`,
  )
}

/** {@link needsStandIn} for a member of a container at `depth`; `key` goes on the path only to look inside. */
function childNeedsStandIn(
  child: unknown,
  key: string | number,
  path: Array<string | number>,
  root: string,
  depth: number,
): boolean {
  if (isScalar(child)) return false
  path.push(key)
  const needs = needsStandIn(child, path, root, depth + 1)
  path.pop()
  return needs
}

/** A number, string or boolean: sendable as it is, with nothing inside to look at. */
const isScalar = (value: unknown): boolean =>
  typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean'

function withStandIns(value: unknown): unknown {
  if (value === undefined) return UNDEFINED
  if (value === null || typeof value !== 'object') return value
  if (Array.isArray(value)) return value.map(withStandIns)
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [withStandIns(k), withStandIns(v)]))
  if (value instanceof Set) return new Set([...value].map(withStandIns))
  const proto = Object.getPrototypeOf(value)
  if (proto !== Object.prototype && proto !== null) return value
  const copy: Record<string, unknown> = {}
  for (const key of Object.keys(value)) copy[key] = withStandIns((value as Record<string, unknown>)[key])
  return copy
}

function unsendable(root: string, path: ReadonlyArray<string | number>, problem: string): TroupeError {
  let where = root
  for (const key of path) {
    if (typeof key === 'number') where += `[${key}]`
    else if (key.startsWith('<')) where += ` ${key}`
    else where += /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`
  }
  return new TroupeError('UNENCODABLE', `${where} ${problem}`)
}
