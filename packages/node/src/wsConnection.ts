import type { Connection } from '@troupe/core'
import { CLOSE_CODES } from '@troupe/core'
import { closeReason, Inbox } from '@troupe/core/internal'
import type { RawData, WebSocket } from 'ws'

/** Close codes ws sends when its parser rejects a frame, keyed by the error's `code`; anything else is 1002. */
const PARSER_CLOSE_CODES: Readonly<Record<string, number>> = {
  WS_ERR_UNSUPPORTED_MESSAGE_LENGTH: 1009,
  WS_ERR_INVALID_UTF8: 1007,
}
const PROTOCOL_VIOLATION = 1002

type MessageHandler = (bytes: Uint8Array) => void
type CloseHandler = (code: number, reason: string) => void

/**
 * Formats a socket's peer as `ip:port` (`[ip]:port` for IPv6).
 * @internal
 */
export function formatRemote(address: string | undefined, port: number | undefined): string {
  if (address === undefined) return 'unknown'
  return `${address.includes(':') ? `[${address}]` : address}:${port ?? 0}`
}

/**
 * Wraps an open `ws` socket as a {@link Connection}. Call it synchronously in
 * the `'open'`/`'connection'` event: from then on its `'error'` listener keeps
 * a socket error from crashing the process.
 * @internal
 */
export function wrapWebSocket(socket: WebSocket, remote: string): Connection {
  return new WsConnection(socket, remote)
}

/**
 * Frames and the close that arrive before the owner sets `onMessage`/`onClose`
 * wait for the handler (the socket is paused meanwhile), as in the memory
 * transport: a hub may send from its accept callback, and the first frame may
 * arrive before `connect`'s promise settles.
 * @internal
 */
class WsConnection implements Connection {
  readonly remote: string
  readonly #socket: WebSocket
  // while frames wait for a handler the socket is paused: TCP holds the rest
  readonly #inbox: Inbox
  onPong: (() => void) | undefined

  constructor(socket: WebSocket, remote: string) {
    this.#socket = socket
    this.remote = remote
    this.#inbox = new Inbox({
      hold: () => socket.pause(),
      release: () => {
        if (socket.isPaused) socket.resume()
      },
    })
    socket.binaryType = 'nodebuffer'
    socket.on('message', (data, isBinary) => this.#received(data, isBinary))
    socket.on('error', (error) => this.#failed(error))
    socket.on('close', (code, reason) => this.#inbox.peerClosed(code, reason.toString('utf8')))
    socket.on('pong', () => this.onPong?.())
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

  ping(): void {
    if (!this.#inbox.ended && this.#socket.readyState === this.#socket.OPEN) this.#socket.ping()
  }

  get bufferedAmount(): number {
    return this.#socket.bufferedAmount
  }

  send(bytes: Uint8Array): void {
    // ws counts bytes sent after close into bufferedAmount; the contract is to drop them
    if (!this.#inbox.ended && this.#socket.readyState === this.#socket.OPEN) this.#socket.send(bytes)
  }

  close(code: number = CLOSE_CODES.NORMAL, reason = ''): void {
    if (this.#inbox.ended) {
      this.#inbox.end(...this.#inbox.closing(code, reason))
      return
    }
    const trimmed = closeReason(reason)
    // throws on a code WebSocket forbids (1005, 1006, < 1000...) before any state changes
    this.#socket.close(code, trimmed)
    // onClose reports this side's decision now; the closing handshake finishes in the background,
    // bounded by ws's closeTimeout, so a dead peer cannot delay the owner
    this.#inbox.end(code, trimmed)
  }

  #received(data: RawData, isBinary: boolean): void {
    if (this.#inbox.ended) return
    if (!isBinary) {
      this.close(CLOSE_CODES.PROTOCOL_ERROR, 'text frames are not accepted')
      return
    }
    // binaryType 'nodebuffer' makes every message one Buffer, fragments already joined. Handed on as a plain
    // Uint8Array view (no copy), as the other transports do: Buffer's slice() is a view, Uint8Array's a copy
    const buffer = data as Buffer
    this.#inbox.frame(new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength))
  }

  #failed(error: Error): void {
    const code = (error as NodeJS.ErrnoException).code
    // a parser error: ws has already sent a close frame with this code, but its own 'close' event will say 1006
    if (code?.startsWith('WS_ERR_'))
      this.#inbox.end(PARSER_CLOSE_CODES[code] ?? PROTOCOL_VIOLATION, error.message)
    // any other error is a socket error: ws destroys the socket and 'close' (1006) follows
  }
}
