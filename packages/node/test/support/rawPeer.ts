import type { Socket } from 'node:net'
import type { NodeRole } from '@troupe/core'
import { type Envelope, FrameCodec, type HelloEnvelope, PROTOCOL_VERSION } from '@troupe/core/internal'
import { WebSocket } from 'ws'

/** How a raw connection ended, as its dialing side saw it. */
export interface RawClose {
  code: number
  reason: string
}

/**
 * A bare `ws` connection to a hub, speaking the wire protocol by hand (or not
 * at all): for tests that feed a hub what no well-behaved node would.
 */
export interface RawPeer {
  readonly socket: WebSocket
  /** Resolves once the WebSocket is open; rejects if it could not be opened. */
  readonly opened: Promise<void>
  /** Resolves when the connection is over, with the code and reason the hub sent. */
  readonly closed: Promise<RawClose>
  /** Binary frames received so far. */
  readonly frames: Uint8Array[]
  /** True once the connection is over. */
  readonly isClosed: boolean
  send(data: Uint8Array | string): void
  /** Resolves with the first envelope (received or to come) that matches, or undefined once closed or after `timeoutMs`. */
  waitForEnvelope(match: (envelope: Envelope) => boolean, timeoutMs: number): Promise<Envelope | undefined>
  /** Stops reading from the TCP socket (a peer that no longer reads); writing still works. */
  pauseReading(): void
  resumeReading(): void
  close(code?: number): void
  terminate(): void
}

/** Opens a raw WebSocket to `url`; `codec` decodes what the hub sends (frames it cannot decode are kept, not decoded). */
export function openRawPeer(url: string, codec: FrameCodec, options: { ca?: string } = {}): RawPeer {
  const socket = new WebSocket(url, { perMessageDeflate: false, ...options })
  const frames: Uint8Array[] = []
  const envelopes: Envelope[] = []
  const watchers = new Set<() => void>()
  let isClosed = false
  const opened = new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve())
    socket.once('error', reject)
  })
  // an unread rejection would crash the test; callers that care await `opened` themselves
  opened.catch(() => {})
  socket.on('error', () => {}) // the close event says how it ended
  const closed = new Promise<RawClose>((resolve) => {
    socket.once('close', (code, reason) => {
      isClosed = true
      for (const watch of watchers) watch()
      resolve({ code, reason: reason.toString('utf8') })
    })
  })
  socket.on('message', (data, isBinary) => {
    if (!isBinary) return
    const buffer = data as Buffer
    const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
    frames.push(bytes)
    try {
      envelopes.push(...codec.decode(bytes))
    } catch {
      // kept in `frames`; the hub's frames always decode, but a test may want to look
    }
    for (const watch of watchers) watch()
  })
  const rawSocket = () => (socket as unknown as { _socket: Socket })._socket
  return {
    socket,
    opened,
    closed,
    frames,
    get isClosed() {
      return isClosed
    },
    send(data) {
      if (socket.readyState === WebSocket.OPEN) socket.send(data, { binary: typeof data !== 'string' })
    },
    waitForEnvelope(match, timeoutMs) {
      return new Promise((resolve) => {
        const check = () => {
          const found = envelopes.find(match)
          if (found === undefined && !isClosed) return
          watchers.delete(check)
          clearTimeout(timer)
          resolve(found)
        }
        const timer = setTimeout(() => {
          watchers.delete(check)
          resolve(undefined)
        }, timeoutMs)
        watchers.add(check)
        check()
      })
    },
    pauseReading: () => rawSocket().pause(),
    resumeReading: () => rawSocket().resume(),
    close(code = 1000) {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) {
        socket.close(code)
      }
    },
    terminate: () => socket.terminate(),
  }
}

/** A hello as a well-behaved node would send it (overridable field by field). */
export function hello(
  from: string,
  fields: Partial<HelloEnvelope> & { role?: NodeRole } = {},
): HelloEnvelope {
  return {
    type: 'hello',
    version: PROTOCOL_VERSION,
    from,
    incarnation: nextIncarnation(),
    role: 'client',
    token: undefined,
    url: undefined,
    ...fields,
  }
}

let lastIncarnation = 0
/** Strictly increasing incarnations, so a reused node id always looks like a new process. */
function nextIncarnation(): number {
  lastIncarnation = Math.max(lastIncarnation + 1, Date.now())
  return lastIncarnation
}

/** A codec with the hub's limits, to predict what the hub makes of a frame. */
export function codecLike(maxFrameBytes: number): FrameCodec {
  return new FrameCodec({ maxFrameBytes })
}
