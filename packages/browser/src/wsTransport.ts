import type { Connection, Transport } from '@troupe/core'
import { CLOSE_CODES, TroupeError } from '@troupe/core'
import { closeReason, DEFAULTS, Inbox } from '@troupe/core/internal'

/** A WebSocket constructor that behaves like the browser's (the WHATWG API). */
export type WebSocketConstructor = new (url: string) => WebSocket

/** Options of {@link createWsTransport}. */
export interface WsTransportOptions {
  /**
   * Largest message accepted. Browsers cannot refuse a frame before it is
   * buffered, so a bigger one is dropped on arrival and closes the connection
   * with 1009. @default 1_048_576
   */
  maxFrameBytes?: number
  /** How long `connect` waits for the socket to open before it gives up. @default 10_000 */
  connectTimeoutMs?: number
  /** @deprecated The old name of {@link WsTransportOptions.connectTimeoutMs} (not the node's protocol `handshakeTimeoutMs`). */
  handshakeTimeoutMs?: number
  /**
   * The WebSocket implementation, for tests outside a browser (e.g. `ws`'s
   * `WebSocket` in Node). @default `globalThis.WebSocket`, read at each connect
   */
  WebSocket?: WebSocketConstructor
}

/**
 * Defaults of the browser WebSocket transport, in one place.
 * @internal
 */
export const BROWSER_WS_DEFAULTS = {
  maxFrameBytes: DEFAULTS.maxFrameBytes,
  connectTimeoutMs: 10_000,
} as const

/** "Message too big" (RFC 6455 §7.4.1). */
const MESSAGE_TOO_BIG = 1009
/** `WebSocket.OPEN`, which ws only has on the class. */
const OPEN = 1

type MessageHandler = (bytes: Uint8Array) => void
type CloseHandler = (code: number, reason: string) => void

/**
 * The browser WebSocket transport: it dials `ws://` and `wss://` URLs (a tab
 * never listens). Messages are binary frames; a text frame closes the
 * connection with `CLOSE_CODES.PROTOCOL_ERROR`, a frame over `maxFrameBytes`
 * closes it with 1009. When this side ends a connection (`close`, or a bad
 * frame) `onClose` reports this side's code and reason at once; the closing
 * handshake finishes in the background. Browsers only let a page send close
 * code 1000 or 3000–4999: any other code goes on the wire as 1000 (with the
 * reason), while `onClose` still reports the code asked for. There is no
 * `ping`: a page cannot send one, and the browser answers the hub's pings by
 * itself, even while the page's timers are throttled.
 *
 * @example
 * ```ts
 * const connection = await createWsTransport().connect('wss://hub.example.com')
 * connection.onMessage = (bytes) => console.log('got', bytes.byteLength, 'bytes')
 * connection.onClose = (code, reason) => console.log('closed', code, reason)
 * connection.send(new Uint8Array([1, 2, 3]))
 * ```
 */
export function createWsTransport(options: WsTransportOptions = {}): Transport {
  const maxFrameBytes = positiveInteger(
    'maxFrameBytes',
    options.maxFrameBytes ?? BROWSER_WS_DEFAULTS.maxFrameBytes,
  )
  const connectTimeoutMs = positiveInteger(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? options.handshakeTimeoutMs ?? BROWSER_WS_DEFAULTS.connectTimeoutMs,
  )
  return {
    connect: (url) => {
      // the page's own WebSocket: an app bundles no WebSocket library for it. Where the host has none (server-side
      // rendering, Node 20 without --experimental-websocket) the connect fails, naming why
      const WebSocketImpl: WebSocketConstructor | undefined = options.WebSocket ?? globalThis.WebSocket
      if (typeof WebSocketImpl !== 'function') {
        return Promise.reject(
          new TroupeError('CONNECTION', `cannot connect to ${url}: this environment has no WebSocket`),
        )
      }
      return connect(url, WebSocketImpl, maxFrameBytes, connectTimeoutMs)
    },
  }
}

function connect(
  url: string,
  WebSocketImpl: WebSocketConstructor,
  maxFrameBytes: number,
  connectTimeoutMs: number,
): Promise<Connection> {
  return new Promise((resolve, reject) => {
    let socket: WebSocket
    try {
      socket = new WebSocketImpl(url)
    } catch (error) {
      // a malformed URL or a scheme the browser does not dial
      reject(new TroupeError('CONNECTION', `cannot connect to ${url}: ${describe(error)}`, { cause: error }))
      return
    }
    socket.binaryType = 'arraybuffer'
    let settled = false
    const fail = (why: string, cause?: unknown): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      reject(
        new TroupeError(
          'CONNECTION',
          `cannot connect to ${url}: ${why}`,
          cause === undefined ? {} : { cause },
        ),
      )
    }
    const timer = setTimeout(() => {
      fail(`the WebSocket did not open within ${connectTimeoutMs} ms`)
      socket.close()
    }, connectTimeoutMs)
    // a browser's error event tells nothing (no status, no errno) and a close event with the code follows
    // it; ws (in Node) puts the cause in a message
    const onError = (event: Event): void => {
      const message = (event as { message?: unknown }).message
      if (typeof message === 'string' && message !== '') fail(message, event)
    }
    const onClose = (event: CloseEvent): void =>
      fail(
        `the WebSocket closed before it opened (code ${event.code}${event.reason ? `: ${event.reason}` : ''})`,
      )
    const onOpen = (): void => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      // wrapped in the open event itself, so no message event can come before its listener
      const connection = new BrowserWsConnection(socket, remoteOf(url), maxFrameBytes)
      socket.removeEventListener('error', onError)
      socket.removeEventListener('close', onClose)
      resolve(connection)
    }
    // left in place after a failure: ws (in Node) throws on an 'error' event nobody listens to
    socket.addEventListener('error', onError)
    socket.addEventListener('close', onClose)
    socket.addEventListener('open', onOpen, { once: true })
  })
}

/**
 * A browser WebSocket as a {@link Connection}. Frames and the close that
 * arrive before the owner sets `onMessage`/`onClose` wait for the handler, as
 * in the other transports, and a close from the peer is reported only after
 * the frames that came before it (as the memory transport does, and as the
 * Node adapter does by pausing its socket). A browser socket cannot be
 * paused, so waiting frames are held in memory; owners set their handlers
 * within a microtask or two of `connect` resolving, so few ever wait.
 * @internal
 */
class BrowserWsConnection implements Connection {
  readonly remote: string
  readonly #socket: WebSocket
  readonly #maxFrameBytes: number
  readonly #inbox = new Inbox()

  constructor(socket: WebSocket, remote: string, maxFrameBytes: number) {
    this.#socket = socket
    this.remote = remote
    this.#maxFrameBytes = maxFrameBytes
    socket.binaryType = 'arraybuffer'
    socket.addEventListener('message', (event) => this.#received(event.data))
    // an error event carries nothing (browsers hide the cause) and a close event always follows it
    socket.addEventListener('error', () => {})
    socket.addEventListener('close', (event) => this.#inbox.peerClosed(event.code, event.reason))
  }

  get onMessage(): MessageHandler | undefined {
    return this.#inbox.onMessage
  }
  set onMessage(handler: MessageHandler | undefined) {
    this.#inbox.onMessage = handler
  }
  get onClose(): CloseHandler | undefined {
    return this.#inbox.onClose
  }
  set onClose(handler: CloseHandler | undefined) {
    this.#inbox.onClose = handler
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount
  }

  send(bytes: Uint8Array): void {
    // a browser counts bytes sent after close into bufferedAmount (and logs a warning); the contract is to drop them
    // the codec's frames live in plain ArrayBuffers (a browser refuses views of shared memory)
    if (!this.#inbox.ended && this.#socket.readyState === OPEN)
      this.#socket.send(bytes as Uint8Array<ArrayBuffer>)
  }

  close(code: number = CLOSE_CODES.NORMAL, reason = ''): void {
    if (this.#inbox.ended) {
      // the socket is closed already: the peer's close wins, as in a WebSocket closing handshake
      this.#inbox.end(...this.#inbox.closing(code, reason))
      return
    }
    const trimmed = closeReason(reason)
    this.#socket.close(sendableCode(code), trimmed)
    // onClose reports this side's decision now; the closing handshake finishes in the background,
    // bounded by the browser, so a dead peer cannot delay the owner
    this.#inbox.end(code, trimmed)
  }

  #received(data: unknown): void {
    if (this.#inbox.ended) return
    if (typeof data === 'string') {
      this.close(CLOSE_CODES.PROTOCOL_ERROR, 'text frames are not accepted')
      return
    }
    if (!(data instanceof ArrayBuffer)) {
      // binaryType is 'arraybuffer', so nothing else should come; a Blob would need an async read
      this.close(CLOSE_CODES.PROTOCOL_ERROR, 'unexpected message type')
      return
    }
    if (data.byteLength > this.#maxFrameBytes) {
      this.close(
        MESSAGE_TOO_BIG,
        `frame of ${data.byteLength} bytes is over maxFrameBytes ${this.#maxFrameBytes}`,
      )
      return
    }
    this.#inbox.frame(new Uint8Array(data))
  }
}

/** Browsers throw on any close code but 1000 and 3000–4999 from a page; the rest go as 1000. */
function sendableCode(code: number): number {
  return Number.isInteger(code) && code >= 3000 && code <= 4999 ? code : CLOSE_CODES.NORMAL
}

/** `host:port` of a URL, for logs: a page cannot see the peer's address. */
function remoteOf(url: string): string {
  try {
    return new URL(url).host || url
  } catch {
    return url
  }
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message || error.name : String(error)
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `browser transport: ${name} must be a positive integer, got ${value}`,
    )
  }
  return value
}

/** @deprecated The old name of {@link createWsTransport}. */
export const createBrowserTransport = createWsTransport
/** @deprecated The old name of {@link WsTransportOptions}. */
export type BrowserTransportOptions = WsTransportOptions
