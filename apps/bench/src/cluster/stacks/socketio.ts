/**
 * Socket.IO baseline: one connection per pair of workers (WebSocket transport
 * only, no long-polling upgrade), one `emit` per message with the plain object.
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { Server } from 'socket.io'
import { io } from 'socket.io-client'
import { HIGH_WATER_BYTES, LOW_WATER_BYTES } from '../../shared/load.js'
import { waitUntil } from '../../shared/time.js'
import type { BenchMessage } from '../protocol.js'
import type { StartStack } from './stack.js'

const EVENT = 'm'
/** Engine.io queues whole packets; ~60 bytes each, so these match the byte marks of raw ws. */
const HIGH_WATER_PACKETS = 16_384
const LOW_WATER_PACKETS = 4_096

interface Link {
  emit(message: BenchMessage): void
  /** Whether the link holds more than `packets` packets or `bytes` bytes. */
  above(packets: number, bytes: number): boolean
}

// engine.io keeps its send queue private; reading its length is the only way to see backpressure
const queueOf = (engine: unknown) => (engine as { writeBuffer: unknown[] }).writeBuffer.length
// the Node client's transport hands frames to `ws` without waiting, so its buffer must be read too
const wsBufferOf = (transport: unknown) =>
  (transport as { ws?: { bufferedAmount?: number } }).ws?.bufferedAmount ?? 0

/** Starts the Socket.IO stack: listens, then connects to every worker started before this one. */
export const start: StartStack = async ({ index, workers, peers, actors }) => {
  const links = new Map<number, Link>()
  const closers: (() => void)[] = []
  let linked = () => {}
  const ready = new Promise<void>((resolve) => {
    linked = () => {
      if (links.size === workers - 1) resolve()
    }
  })
  const receive = (message: BenchMessage) => {
    actors.get(message.to)?.(message)
  }

  const http = createServer()
  const server = new Server(http, { transports: ['websocket'], serveClient: false })
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  server.on('connection', (socket) => {
    socket.on(EVENT, receive)
    links.set(Number(socket.handshake.auth.from), {
      emit: (message) => socket.emit(EVENT, message),
      above: (packets) => queueOf(socket.conn) > packets,
    })
    linked()
  })
  for (const peer of peers) {
    const socket = io(peer.url, { transports: ['websocket'], auth: { from: index }, reconnection: false })
    closers.push(() => socket.disconnect())
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve)
      socket.once('connect_error', reject)
    })
    socket.on(EVENT, receive)
    links.set(peer.index, {
      emit: (message) => socket.emit(EVENT, message),
      above: (packets, bytes) =>
        queueOf(socket.io.engine) > packets || wsBufferOf(socket.io.engine.transport) > bytes,
    })
    linked()
  }

  const link = (worker: number) => {
    const found = links.get(worker)
    if (found === undefined) throw new Error(`socketio: worker ${index} has no link to worker ${worker}`)
    return found
  }
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    ready,
    send(worker, message) {
      const target = link(worker)
      target.emit(message)
      return !target.above(HIGH_WATER_PACKETS, HIGH_WATER_BYTES)
    },
    drain(worker) {
      const target = link(worker)
      return waitUntil(() => !target.above(LOW_WATER_PACKETS, LOW_WATER_BYTES))
    },
    deadLetters: () => 0,
    async close() {
      for (const close of closers) close()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
