/**
 * The application payload of the ask and relay benchmarks: an object that
 * msgpack encodes to exactly {@link PAYLOAD_BYTES} bytes, whatever its
 * sequence number, so every stack carries the same bytes of user data.
 */
import { encode } from '@msgpack/msgpack'

/** Encoded size of every {@link Payload}. */
export const PAYLOAD_BYTES = 68

/** Sequence numbers start here: msgpack then encodes them in 5 bytes (uint32) up to 2³². */
const SEQ_BASE = 0x1_0000
const SEQ_SPAN = 2 ** 32 - SEQ_BASE

/** What the benchmarks send. `kind`: `a` an ask (echo it back), `r` the reply to one, `t` a tell (count it). */
export interface Payload {
  seq: number
  kind: 'a' | 'r' | 't'
  body: string
}

function paddingFor(bytes: number): string {
  for (let length = 0; length < bytes; length++) {
    const body = 'x'.repeat(length)
    if (encode({ seq: SEQ_BASE, kind: 'a', body }).byteLength === bytes) return body
  }
  throw new Error(`no payload encodes to ${bytes} bytes`)
}

const BODY = paddingFor(PAYLOAD_BYTES)

/** The `n`-th payload of a stream (`n` ≥ 0). */
export const makePayload = (n: number, kind: Payload['kind']): Payload => ({
  seq: SEQ_BASE + (n % SEQ_SPAN),
  kind,
  body: BODY,
})
