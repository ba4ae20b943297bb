import { queueMicrotask } from '../host.js'

type MessageHandler = (bytes: Uint8Array) => void
type CloseHandler = (code: number, reason: string) => void

/**
 * The receiving half every WebSocket-based {@link Connection} shares: frames
 * and the close that arrive before the owner sets `onMessage`/`onClose` wait
 * for the handler (the owner may attach a microtask after `connect`); the
 * peer's close is reported after the frames it sent before it; this side's
 * close is reported at once; `onClose` runs exactly once; a throwing handler
 * is reported without stalling the frames behind it.
 * @internal
 */
export class Inbox {
  #onMessage: MessageHandler | undefined
  #onClose: CloseHandler | undefined
  readonly #waiting: Uint8Array[] = []
  #ended: [code: number, reason: string] | undefined
  /** The peer's close, waiting for the frames it sent before it to be handed over. */
  #peerClose: [code: number, reason: string] | undefined
  #notified = false

  /** `hold` runs when frames start waiting for a handler, `release` when none wait any more (pause a socket). */
  constructor(private readonly flow: { hold?(): void; release?(): void } = {}) {}

  /** True once the connection is over, or this side or the peer has ended it: no more frames in or out. */
  get ended(): boolean {
    return this.#ended !== undefined || this.#peerClose !== undefined
  }

  get onMessage(): MessageHandler | undefined {
    return this.#onMessage
  }
  set onMessage(handler: MessageHandler | undefined) {
    this.#onMessage = handler
    if (handler !== undefined && this.#waiting.length > 0) queueMicrotask(() => this.#drain())
  }

  get onClose(): CloseHandler | undefined {
    return this.#onClose
  }
  set onClose(handler: CloseHandler | undefined) {
    this.#onClose = handler
    if (handler !== undefined && this.#ended !== undefined) queueMicrotask(() => this.#notify())
  }

  /** A frame arrived. */
  frame(bytes: Uint8Array): void {
    if (this.ended) return
    if (this.#onMessage !== undefined && this.#waiting.length === 0) {
      this.#deliver(this.#onMessage, bytes)
      return
    }
    if (this.#waiting.length === 0) this.flow.hold?.()
    this.#waiting.push(bytes)
  }

  /** The peer (or the network) closed: reported once the frames before it are handed over. */
  peerClosed(code: number, reason: string): void {
    if (this.ended) return
    if (this.#waiting.length === 0) this.end(code, reason)
    else this.#peerClose = [code, reason]
  }

  /** The close to report if this side closes now: the peer's, if it came first (as in a closing handshake). */
  closing(code: number, reason: string): [code: number, reason: string] {
    return this.#peerClose ?? [code, reason]
  }

  /** This side ended the connection (or a protocol error did): waiting frames are dropped, the close reported now. */
  end(code: number, reason: string): void {
    if (this.#ended !== undefined) return
    this.#ended = [code, reason]
    this.#peerClose = undefined
    if (this.#waiting.length > 0) {
      this.#waiting.length = 0
      this.flow.release?.()
    }
    queueMicrotask(() => this.#notify())
  }

  #drain(): void {
    while (this.#ended === undefined) {
      const handler = this.#onMessage
      const bytes = handler === undefined ? undefined : this.#waiting.shift()
      if (bytes === undefined) break
      this.#deliver(handler!, bytes)
    }
    if (this.#waiting.length > 0) return
    this.flow.release?.()
    if (this.#peerClose !== undefined) {
      const [code, reason] = this.#peerClose
      this.#peerClose = undefined
      this.end(code, reason)
    }
  }

  #deliver(handler: MessageHandler, bytes: Uint8Array): void {
    try {
      handler(bytes)
    } catch (error) {
      // reported like any uncaught error, and the frames behind it still go (a socket's parser must not stop mid-chunk)
      queueMicrotask(() => {
        throw error
      })
    }
  }

  #notify(): void {
    const handler = this.#onClose
    if (this.#notified || handler === undefined || this.#ended === undefined) return
    this.#notified = true
    handler(...this.#ended)
  }
}
