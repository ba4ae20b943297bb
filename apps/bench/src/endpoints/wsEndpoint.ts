/**
 * Raw `ws` endpoints, what a hand-rolled transport does: one msgpack frame per
 * message, no batching, no acks. Direct (a server and its clients, each socket
 * carrying one peer's payloads) or relayed (every frame is an envelope
 * `{ to, from, body }` sent to a relay, see `wsRelay.ts`).
 */
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { Decoder, Encoder } from '@msgpack/msgpack'
import WebSocket, { type RawData, WebSocketServer } from 'ws'
import { HIGH_WATER_BYTES, LOW_WATER_BYTES } from '../shared/load.js'
import type { Payload } from '../shared/payload.js'
import { waitUntil } from '../shared/time.js'
import { ASK_TIMEOUT_MS, createSinkCounter, type Endpoint } from './endpoint.js'

/** What a relayed frame carries. */
export interface RelayEnvelope {
  to: string
  from: string
  body: Payload
}

/** The parts every raw endpoint shares: encoding, the echo, the sink and pending asks. */
function createCore(id: string, relayed: boolean) {
  const encoder = new Encoder()
  const decoder = new Decoder()
  const sink = createSinkCounter()
  const pending = new Map<number, (reply: Payload) => void>()
  const frame = (to: string, body: Payload) =>
    encoder.encode(relayed ? ({ to, from: id, body } satisfies RelayEnvelope) : body)
  return {
    sink,
    frame,
    /** Handles one frame that arrived on `socket`. */
    receive(socket: WebSocket, data: RawData) {
      const decoded = decoder.decode(data as Buffer) as Payload | RelayEnvelope
      const [from, body] = relayed
        ? [(decoded as RelayEnvelope).from, (decoded as RelayEnvelope).body]
        : ['', decoded as Payload]
      if (body.kind === 't') sink.count()
      else if (body.kind === 'a') socket.send(frame(from, { ...body, kind: 'r' }))
      else pending.get(body.seq)?.(body)
    },
    ask(socket: WebSocket, to: string, payload: Payload): Promise<Payload> {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(payload.seq)
          reject(new Error(`ws: no reply to ask ${payload.seq} within ${ASK_TIMEOUT_MS} ms`))
        }, ASK_TIMEOUT_MS)
        pending.set(payload.seq, (reply) => {
          clearTimeout(timer)
          pending.delete(payload.seq)
          resolve(reply)
        })
        socket.send(frame(to, payload))
      })
    },
  }
}

const sendOn = (socket: WebSocket, bytes: Uint8Array) => {
  socket.send(bytes)
  return socket.bufferedAmount < HIGH_WATER_BYTES
}
const drainOf = (socket: WebSocket) => waitUntil(() => socket.bufferedAmount < LOW_WATER_BYTES)

/** A raw `ws` server endpoint: its clients name themselves with `?id=`. */
export interface WsServerEndpoint extends Endpoint {
  readonly url: string
}

/**
 * Listens on a free loopback port; each client socket carries that client's
 * payloads (direct, not relayed).
 */
export async function startWsServerEndpoint(id: string): Promise<WsServerEndpoint> {
  const core = createCore(id, false)
  const clients = new Map<string, WebSocket>()
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await once(server, 'listening')
  server.on('connection', (socket, request) => {
    const peer = new URL(request.url ?? '/', 'ws://localhost').searchParams.get('id') ?? ''
    clients.set(peer, socket)
    socket.on('message', (data) => core.receive(socket, data))
  })
  const client = (to: string) => {
    const socket = clients.get(to)
    if (socket === undefined) throw new Error(`ws: endpoint ${id} has no client "${to}"`)
    return socket
  }
  return {
    id,
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    ask: (to, payload) => core.ask(client(to), to, payload),
    send: (to, payload) => sendOn(client(to), core.frame(to, payload)),
    drain: (to) => drainOf(client(to)),
    received: core.sink.read,
    async close() {
      for (const socket of clients.values()) socket.terminate()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}

/**
 * Connects to a raw `ws` server endpoint (`relayed: false`; `to` is then
 * ignored: the one socket leads to the server) or to a relay.
 */
export async function connectWsEndpoint(options: {
  id: string
  url: string
  relayed: boolean
}): Promise<Endpoint> {
  const { id, url, relayed } = options
  const core = createCore(id, relayed)
  const socket = new WebSocket(`${url}/?id=${encodeURIComponent(id)}`)
  socket.on('message', (data) => core.receive(socket, data))
  await once(socket, 'open')
  return {
    id,
    ask: (to, payload) => core.ask(socket, to, payload),
    send: (to, payload) => sendOn(socket, core.frame(to, payload)),
    drain: () => drainOf(socket),
    received: core.sink.read,
    async close() {
      socket.terminate()
    },
  }
}
