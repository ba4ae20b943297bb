/**
 * Raw `ws` baseline: one WebSocket per pair of workers, one msgpack-encoded
 * frame per message, no batching: what a hand-rolled transport does.
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { Decoder, Encoder } from '@msgpack/msgpack'
import WebSocket, { type RawData, WebSocketServer } from 'ws'
import { HIGH_WATER_BYTES, LOW_WATER_BYTES } from '../../shared/load.js'
import { waitUntil } from '../../shared/time.js'
import type { BenchMessage } from '../protocol.js'
import type { StartStack } from './stack.js'

/** Starts the raw `ws` stack: listens, then dials every worker started before this one. */
export const start: StartStack = async ({ index, workers, peers, actors }) => {
  const encoder = new Encoder()
  const decoder = new Decoder()
  const links = new Map<number, WebSocket>()
  let linked = () => {}
  const ready = new Promise<void>((resolve) => {
    linked = () => {
      if (links.size === workers - 1) resolve()
    }
  })
  const receive = (data: RawData) => {
    const message = decoder.decode(data as Buffer) as BenchMessage
    actors.get(message.to)?.(message)
  }
  const adopt = (peer: number, socket: WebSocket) => {
    socket.on('message', receive)
    links.set(peer, socket)
    linked()
  }

  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  server.on('connection', (socket, request) => {
    // the dialling worker names itself in the query: one socket serves both directions
    const from = new URL(request.url ?? '/', 'ws://localhost').searchParams.get('from')
    adopt(Number(from), socket)
  })
  for (const peer of peers) {
    const socket = new WebSocket(`${peer.url}/?from=${index}`)
    await once(socket, 'open')
    adopt(peer.index, socket)
  }

  const link = (worker: number) => {
    const socket = links.get(worker)
    if (socket === undefined) throw new Error(`ws: worker ${index} has no link to worker ${worker}`)
    return socket
  }
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ready,
    send(worker, message) {
      const socket = link(worker)
      socket.send(encoder.encode(message))
      return socket.bufferedAmount < HIGH_WATER_BYTES
    },
    drain(worker) {
      const socket = link(worker)
      return waitUntil(() => socket.bufferedAmount < LOW_WATER_BYTES)
    },
    deadLetters: () => 0,
    async close() {
      for (const socket of links.values()) socket.terminate()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
