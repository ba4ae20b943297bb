import type { Clock } from '../clock.js'
import { ProtocolError, TroupeError } from '../errors.js'
import { queueMicrotask } from '../host.js'
import { CLOSE_CODES, type Connection, type Transport } from '../transport/transport.js'
import type { FrameCodec } from '../wire/codec.js'
import { PROTOCOL_VERSION } from '../wire/codes.js'
import type { HelloEnvelope, WelcomeEnvelope } from '../wire/envelope.js'

/** The peer closed the connection before the handshake completed, with this close code and reason. */
export class HandshakeClosedError extends TroupeError {
  override readonly name = 'HandshakeClosedError'

  constructor(
    readonly closeCode: number,
    readonly closeReason: string,
    remote: string,
  ) {
    super('CONNECTION', `connection with ${remote} closed during the handshake (${closeCode} ${closeReason})`)
  }
}

/** A connection whose handshake is done, with frames that arrived right behind it. @internal */
export interface Handshaken<T> {
  connection: Connection
  envelope: T
  /** Frames received after the handshake envelope, before the link took over. */
  early: Uint8Array[]
  /** Set when the connection closed (or sent too much) before the link took over: nothing to take over then. */
  closed: boolean
}

/**
 * Waits for the first frame of `connection`, which must hold exactly one
 * envelope of `type` and the same protocol version. Anything else closes the
 * connection with a protocol error.
 */
function awaitFirst<T extends HelloEnvelope | WelcomeEnvelope>(
  connection: Connection,
  type: T['type'],
  codec: FrameCodec,
  clock: Clock,
  timeoutMs: number,
  maxEarlyBytes: number,
): Promise<Handshaken<T>> {
  return new Promise((resolve, reject) => {
    let envelope: T | undefined
    let done: Handshaken<T> | undefined
    let earlyBytes = 0
    const early: Uint8Array[] = []
    const fail = (code: number, error: Error) => {
      clock.clearTimeout(timer)
      connection.onMessage = undefined
      connection.onClose = undefined
      connection.close(code, error.message.slice(0, 120))
      reject(error)
    }
    const timer = clock.setTimeout(
      () => fail(CLOSE_CODES.HANDSHAKE_TIMEOUT, new ProtocolError(`no ${type} within ${timeoutMs} ms`)),
      timeoutMs,
    )
    connection.onMessage = (bytes) => {
      if (envelope !== undefined) {
        // held until the link takes over (an authenticate hook may take a while): bounded
        earlyBytes += bytes.byteLength + 128 // each frame costs the hub a view and its bookkeeping
        if (earlyBytes <= maxEarlyBytes) early.push(bytes)
        else {
          early.length = 0
          if (done !== undefined) done.closed = true
          connection.onMessage = undefined
          connection.close(
            CLOSE_CODES.TOO_MUCH_EARLY_DATA,
            `more than ${maxEarlyBytes} bytes before the handshake completed`,
          )
        }
        return
      }
      try {
        const envelopes = codec.decode(bytes)
        const first = envelopes[0]!
        if (envelopes.length !== 1 || first.type !== type) throw new ProtocolError(`expected a ${type} first`)
        if (first.version !== PROTOCOL_VERSION) {
          throw new ProtocolError(
            `protocol version ${first.version} is not supported (this node speaks ${PROTOCOL_VERSION})`,
          )
        }
        envelope = first as T
      } catch (error) {
        fail(CLOSE_CODES.PROTOCOL_ERROR, error as Error)
        return
      }
      clock.clearTimeout(timer)
      done = { connection, envelope: envelope!, early, closed: false }
      // later frames keep arriving into `early` until the link replaces these handlers
      queueMicrotask(() => resolve(done!))
    }
    connection.onClose = (code, reason) => {
      clock.clearTimeout(timer)
      if (done !== undefined) done.closed = true
      reject(new HandshakeClosedError(code, reason, connection.remote))
    }
  })
}

/** The accepting side: waits for the dialer's hello. @internal */
export function awaitHello(
  connection: Connection,
  codec: FrameCodec,
  clock: Clock,
  timeoutMs: number,
  maxEarlyBytes: number,
): Promise<Handshaken<HelloEnvelope>> {
  return awaitFirst<HelloEnvelope>(connection, 'hello', codec, clock, timeoutMs, maxEarlyBytes)
}

/** The dialing side: connects to `url`, says hello, waits for the welcome. @internal */
export async function dial(
  transport: Transport,
  url: string,
  hello: HelloEnvelope,
  codec: FrameCodec,
  clock: Clock,
  timeoutMs: number,
): Promise<Handshaken<WelcomeEnvelope>> {
  const connection = await transport.connect(url)
  // what a hub sends right behind its welcome is bounded by its own flow control, not by this
  const welcome = awaitFirst<WelcomeEnvelope>(
    connection,
    'welcome',
    codec,
    clock,
    timeoutMs,
    Number.POSITIVE_INFINITY,
  )
  connection.send(codec.encode([hello]))
  return welcome
}
