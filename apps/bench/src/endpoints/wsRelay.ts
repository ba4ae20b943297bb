/**
 * A tiny raw `ws` relay, the baseline for a Troupe hub relaying between two
 * clients: each client names itself with `?id=`; every frame is decoded to
 * find its `to` (as any hand-rolled relay must) and its original bytes are
 * forwarded to that client's socket, pausing the sender while the receiver's
 * socket is over its high-water mark.
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { Decoder } from '@msgpack/msgpack'
import { type RawData, type WebSocket, WebSocketServer } from 'ws'
import { HIGH_WATER_BYTES, LOW_WATER_BYTES } from '../shared/load.js'
import { waitUntil } from '../shared/time.js'
import type { RelayEnvelope } from './wsEndpoint.js'

/** A listening relay. */
export interface WsRelay {
  readonly url: string
  /** Frames that named a client that is not connected. */
  unroutable(): number
  close(): Promise<void>
}

/**
 * Starts a relay on a free loopback port.
 *
 * @example
 * const relay = await startWsRelay()
 * const a = await connectWsEndpoint({ id: 'a', url: relay.url, relayed: true })
 */
export async function startWsRelay(): Promise<WsRelay> {
  const decoder = new Decoder()
  const clients = new Map<string, WebSocket>()
  let unroutable = 0
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  server.on('connection', (socket, request) => {
    const id = new URL(request.url ?? '/', 'ws://localhost').searchParams.get('id') ?? ''
    clients.set(id, socket)
    socket.on('close', () => {
      if (clients.get(id) === socket) clients.delete(id)
    })
    socket.on('message', (data: RawData) => {
      const { to } = decoder.decode(data as Buffer) as RelayEnvelope
      const target = clients.get(to)
      if (target === undefined) {
        unroutable++
        return
      }
      target.send(data)
      // a slow receiver must not grow the relay's memory: stop reading its sender until it catches up
      if (target.bufferedAmount > HIGH_WATER_BYTES && !socket.isPaused) {
        socket.pause()
        void waitUntil(
          () => target.bufferedAmount < LOW_WATER_BYTES || target.readyState !== target.OPEN,
        ).then(() => socket.resume())
      }
    })
  })
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    unroutable: () => unroutable,
    async close() {
      for (const socket of clients.values()) socket.terminate()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
