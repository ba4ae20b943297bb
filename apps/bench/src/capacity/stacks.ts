/**
 * The two stacks of the capacity benchmark, each as a hub and its idle
 * clients: Troupe (a hub node; client nodes with an `echo` actor) and
 * Socket.IO (a server; sockets over the WebSocket transport only).
 */
import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { createNode, type Node } from '@troupe/node'
import { Server } from 'socket.io'
import { io } from 'socket.io-client'
import { createSinkCounter, type Received } from '../endpoints/endpoint.js'
import { untilReady } from '../endpoints/troupeEndpoint.js'
import { machineNow, withTimeout } from '../shared/time.js'

/** The stacks compared. */
export type CapacityStack = 'troupe' | 'socketio'

/** How the hub saw a set of clients go: distinct clients noticed, first and last notice (wall clock; null before any). */
export interface Drops {
  noticed: number
  firstAt: number | null
  lastAt: number | null
}

/** Clients as a hub counts them. */
export interface HubClients {
  /** Clients with an open connection. */
  connected: number
  /** Clients the hub's membership holds as up (Troupe; Socket.IO: connected). */
  up: number
}

/** A listening hub. */
export interface CapacityHub {
  readonly url: string
  /** Clients as the hub counts them now: open links, and members it holds as up. */
  clients(): HubClients
  /**
   * Starts counting clients whose id starts with `prefix` as they drop, and
   * returns how many of them the hub holds as alive (up or suspect) now (Troupe only).
   */
  watchDrops(prefix: string): number
  drops(): Drops
  /** Asks client `id`'s echo actor (Troupe only). */
  ask(id: string, payload: unknown): Promise<unknown>
  /** What the hub's sink counted (background traffic from the clients). */
  received(): Received
  close(): Promise<void>
}

/** A connected client. */
export interface CapacityClient {
  /** Fire and forget to the hub's sink. */
  send(payload: unknown): void
  close(): Promise<void>
}

/** The hub's actors' node id, and so the address of its sink: `sink@hub`. */
export const HUB_ID = 'hub'

/** A Troupe hub node taking up to `maxClients` clients, with a `sink` actor. */
export async function startTroupeHub(maxClients: number): Promise<CapacityHub> {
  const node = await createNode({ id: HUB_ID, listen: { host: '127.0.0.1', port: 0 }, maxClients })
  const sink = createSinkCounter()
  node.spawn('sink', { receive: () => sink.count() })
  let prefix: string | undefined
  const gone = new Set<string>()
  const drops: Drops = { noticed: 0, firstAt: null, lastAt: null }
  const dropped = (member: { id: string }) => {
    if (prefix === undefined || !member.id.startsWith(prefix) || gone.has(member.id)) return
    gone.add(member.id)
    const now = machineNow()
    drops.noticed = gone.size
    drops.firstAt ??= now
    drops.lastAt = now
  }
  node.on('member-down', dropped)
  node.on('member-left', dropped)
  return {
    url: node.url!,
    clients: () => ({
      connected: Object.values(node.metrics().peers).filter((link) => link.connected).length,
      up: node.members().filter((m) => m.role === 'client' && m.status === 'up').length,
    }),
    watchDrops(watched) {
      prefix = watched
      gone.clear()
      Object.assign(drops, { noticed: 0, firstAt: null, lastAt: null })
      return node
        .members()
        .filter((m) => m.id.startsWith(watched) && (m.status === 'up' || m.status === 'suspect')).length
    },
    drops: () => ({ ...drops }),
    ask: (id, payload) => node.ask(`echo@${id}`, payload, { timeoutMs: 5_000 }),
    received: sink.read,
    close: () => node.close(),
  }
}

/** A Troupe client node `id` of the hub at `url`, with an `echo` actor, once online (or closed after `timeoutMs`). */
export async function connectTroupeClient(
  url: string,
  id: string,
  timeoutMs: number,
): Promise<CapacityClient> {
  const node: Node = await createNode({ id, seeds: [url], role: 'client' })
  node.spawn('echo', { receive: (message, ctx) => ctx.reply(message) })
  try {
    await withTimeout(untilReady(node, []), timeoutMs, `client ${id} online`)
  } catch (error) {
    await node.close()
    throw error
  }
  return {
    send: (payload) => void node.send(`sink@${HUB_ID}`, payload),
    close: () => node.close(),
  }
}

/** A Socket.IO server on a free loopback port, WebSocket transport only. */
export async function startSocketIoHub(): Promise<CapacityHub> {
  const http = createServer()
  const server = new Server(http, { transports: ['websocket'], serveClient: false })
  const sink = createSinkCounter()
  server.on('connection', (socket) => socket.on('m', () => sink.count()))
  http.listen(0, '127.0.0.1')
  await once(http, 'listening')
  const unsupported = (what: string) => () => {
    throw new Error(`socketio capacity hub: ${what} is measured for Troupe only`)
  }
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    clients: () => ({ connected: server.engine.clientsCount, up: server.engine.clientsCount }),
    watchDrops: unsupported('drop detection'),
    drops: unsupported('drop detection'),
    ask: unsupported('ask latency'),
    received: sink.read,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

/** A Socket.IO client socket of its own (no multiplexing), WebSocket transport only, once connected. */
export async function connectSocketIoClient(
  url: string,
  id: string,
  timeoutMs: number,
): Promise<CapacityClient> {
  const socket = io(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    timeout: timeoutMs,
    auth: { id },
  })
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('connect_error', (error) => {
      socket.disconnect()
      reject(error)
    })
  })
  return {
    send: (payload) => void socket.emit('m', payload),
    async close() {
      socket.disconnect()
    },
  }
}
