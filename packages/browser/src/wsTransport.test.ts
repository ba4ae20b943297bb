import type { AddressInfo } from 'node:net'
import { createServer as createTcpServer, type Socket } from 'node:net'
import { CLOSE_CODES, type Connection, isTroupeError } from '@troupe/core'
import { freePort } from '@troupe/test-support'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { type WebSocket as ServerSocket, WebSocketServer, WebSocket as WsWebSocket } from 'ws'
import { createWsTransport, type WebSocketConstructor } from './wsTransport.js'

// The transport runs on whatever WebSocket it is given (by default the global one). In Node, `ws` stands in for a
// browser's; Node's own WHATWG WebSocket (undici, global from Node 22, or 20 with --experimental-websocket) is
// closer to a browser's (it throws on close codes a page may not send), so it is tested too where it exists.
const nodeWebSocket = (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket
const implementations: Array<[string, WebSocketConstructor]> = [
  ['ws', WsWebSocket as unknown as WebSocketConstructor],
  ...(nodeWebSocket === undefined
    ? []
    : [['the global WebSocket', nodeWebSocket] as [string, WebSocketConstructor]]),
]

const cleanups: Array<() => Promise<void> | void> = []
afterEach(async () => {
  vi.unstubAllGlobals()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

interface TestServer {
  url: string
  /** Resolves with the next accepted socket. */
  nextSocket(): Promise<ServerSocket>
  /** Resolves with the code and reason the server saw when `socket` closed. */
  closed(socket: ServerSocket): Promise<[number, string]>
}

/** A real ws server on port 0; `onConnection` runs synchronously on every accepted socket. */
async function startServer(onConnection: (socket: ServerSocket) => void = () => {}): Promise<TestServer> {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 })
  await new Promise<void>((resolve) => server.once('listening', resolve))
  const waiting: Array<(socket: ServerSocket) => void> = []
  const accepted: ServerSocket[] = []
  const closes = new Map<ServerSocket, Promise<[number, string]>>()
  server.on('connection', (socket) => {
    closes.set(
      socket,
      new Promise((resolve) => socket.once('close', (code, reason) => resolve([code, reason.toString()]))),
    )
    onConnection(socket)
    const taker = waiting.shift()
    if (taker) taker(socket)
    else accepted.push(socket)
  })
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of server.clients) socket.terminate()
        server.close(() => resolve())
      }),
  )
  const { port } = server.address() as AddressInfo
  return {
    url: `ws://127.0.0.1:${port}`,
    nextSocket: () => {
      const socket = accepted.shift()
      return socket ? Promise.resolve(socket) : new Promise((resolve) => waiting.push(resolve))
    },
    closed: (socket) => closes.get(socket)!,
  }
}

/** Collects what a connection hands its owner. */
function watch(connection: Connection) {
  const messages: number[][] = []
  const closes: Array<[number, string]> = []
  let closedResolve: (close: [number, string]) => void
  const closed = new Promise<[number, string]>((resolve) => {
    closedResolve = resolve
  })
  connection.onMessage = (bytes) => {
    expect(bytes).toBeInstanceOf(Uint8Array)
    messages.push([...bytes])
  }
  connection.onClose = (code, reason) => {
    closes.push([code, reason])
    closedResolve([code, reason])
  }
  return { messages, closes, closed }
}

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms))

async function until(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const end = Date.now() + timeoutMs
  while (!condition()) {
    if (Date.now() > end) throw new Error('timed out waiting for a condition')
    await tick(5)
  }
}

describe.each(implementations)('createWsTransport on %s', (_name, WebSocket) => {
  const transport = (options: { maxFrameBytes?: number; connectTimeoutMs?: number } = {}) =>
    createWsTransport({ ...options, WebSocket })

  async function connected(
    onConnection?: (socket: ServerSocket) => void,
    options?: { maxFrameBytes?: number },
  ): Promise<{ server: TestServer; connection: Connection; peer: ServerSocket }> {
    const server = await startServer(onConnection)
    const connection = await transport(options).connect(server.url)
    cleanups.push(() => connection.close())
    return { server, connection, peer: await server.nextSocket() }
  }

  it('sends and receives binary frames as Uint8Array, in order', async () => {
    const { connection, peer } = await connected()
    peer.on('message', (data, isBinary) => peer.send(data, { binary: isBinary }))
    const seen = watch(connection)

    connection.send(new Uint8Array([1, 2, 3]))
    // a view into a bigger buffer sends only its own bytes
    connection.send(new Uint8Array([9, 4, 5, 9]).subarray(1, 3))
    connection.send(new Uint8Array(0))
    await until(() => seen.messages.length === 3)
    expect(seen.messages).toEqual([[1, 2, 3], [4, 5], []])
    expect(connection.bufferedAmount).toBe(0)
  })

  it('names the peer by host and port', async () => {
    const { connection, server } = await connected()
    expect(connection.remote).toBe(new URL(server.url).host)
  })

  it('has no listen and no ping: a page can do neither', () => {
    const made = transport()
    expect(made.listen).toBeUndefined()
  })

  it('holds frames and the peer close that come before the handlers are set, then hands them over in order', async () => {
    const { connection } = await connected((socket) => {
      socket.send(new Uint8Array([1]))
      socket.send(new Uint8Array([2]))
      socket.close(4009, 'replaced')
    })
    await tick(100) // everything has reached the client by now
    const seen = watch(connection)
    expect(await seen.closed).toEqual([4009, 'replaced'])
    expect(seen.messages).toEqual([[1], [2]])
    await tick(20)
    expect(seen.closes).toHaveLength(1)
  })

  it('delivers frames that arrive after onMessage is set behind the held ones', async () => {
    const { connection, peer } = await connected((socket) => socket.send(new Uint8Array([1])))
    await tick(50)
    const seen = watch(connection)
    peer.send(new Uint8Array([2]))
    await until(() => seen.messages.length === 2)
    expect(seen.messages).toEqual([[1], [2]])
  })

  it('closes with PROTOCOL_ERROR on a text frame', async () => {
    const { server, connection, peer } = await connected()
    const seen = watch(connection)
    peer.send('hello')
    expect(await seen.closed).toEqual([CLOSE_CODES.PROTOCOL_ERROR, 'text frames are not accepted'])
    expect(await server.closed(peer)).toEqual([CLOSE_CODES.PROTOCOL_ERROR, 'text frames are not accepted'])
    expect(seen.messages).toEqual([])
  })

  it('closes with 1009 on a frame over maxFrameBytes (sent as 1000: a page may not send 1009)', async () => {
    const { server, connection, peer } = await connected(undefined, { maxFrameBytes: 1_000 })
    const seen = watch(connection)
    peer.send(new Uint8Array(1_000))
    peer.send(new Uint8Array(1_001))
    peer.send(new Uint8Array(1))
    const reason = 'frame of 1001 bytes is over maxFrameBytes 1000'
    expect(await seen.closed).toEqual([1009, reason])
    expect(await server.closed(peer)).toEqual([1000, reason])
    expect(seen.messages.map((m) => m.length)).toEqual([1_000])
  })

  it('reports its own close at once, with the code asked for, and sends a code a page may send', async () => {
    const { server, connection, peer } = await connected()
    const seen = watch(connection)
    connection.close(CLOSE_CODES.GOING_AWAY, 'node closing')
    await Promise.resolve()
    expect(seen.closes).toEqual([[CLOSE_CODES.GOING_AWAY, 'node closing']])
    expect(await server.closed(peer)).toEqual([1000, 'node closing'])
  })

  it('sends codes 1000 and 3000–4999 as they are', async () => {
    for (const code of [1000, 3000, CLOSE_CODES.REPLACED, 4999]) {
      const { server, connection, peer } = await connected()
      connection.close(code, 'bye')
      expect(await server.closed(peer)).toEqual([code, 'bye'])
    }
  })

  it('cuts a long close reason to 123 bytes of UTF-8, on the wire and in onClose', async () => {
    const { server, connection, peer } = await connected()
    const seen = watch(connection)
    connection.close(4000, 'é'.repeat(100))
    const expected = 'é'.repeat(61) // 122 bytes: a 62nd é would need 124
    expect(await seen.closed).toEqual([4000, expected])
    expect(await server.closed(peer)).toEqual([4000, expected])
  })

  it('calls onClose once, whoever closes and however often', async () => {
    const { connection, peer } = await connected()
    const seen = watch(connection)
    connection.close(4000, 'first')
    connection.close(4001, 'second')
    peer.close(4002, 'third')
    await tick(50)
    expect(seen.closes).toEqual([[4000, 'first']])
  })

  it('reports the peer close, and an abrupt end as 1006', async () => {
    const first = await connected()
    const seenFirst = watch(first.connection)
    first.peer.close(4009, 'replaced')
    expect(await seenFirst.closed).toEqual([4009, 'replaced'])

    const second = await connected()
    const seenSecond = watch(second.connection)
    second.peer.terminate()
    expect((await seenSecond.closed)[0]).toBe(1006)
  })

  it('drops bytes sent after close without throwing', async () => {
    const { server, connection, peer } = await connected()
    const received: unknown[] = []
    peer.on('message', (data) => received.push(data))
    connection.close()
    connection.send(new Uint8Array([1]))
    await server.closed(peer)
    expect(received).toEqual([])
    expect(connection.bufferedAmount).toBe(0)
  })

  it('rejects, naming the URL, when nothing listens', async () => {
    const url = `ws://127.0.0.1:${await freePort()}`
    await expect(transport().connect(url)).rejects.toThrow(`cannot connect to ${url}`)
  })

  it('rejects, naming the URL, for a malformed URL', async () => {
    await expect(transport().connect('not a url')).rejects.toThrow('cannot connect to not a url')
  })

  it('gives up after connectTimeoutMs and closes the socket', async () => {
    const sockets: Socket[] = []
    const socketClosed: Array<Promise<void>> = []
    // accepts TCP and never answers the HTTP upgrade
    const silent = createTcpServer((socket) => {
      sockets.push(socket)
      socketClosed.push(new Promise((resolve) => socket.once('close', () => resolve())))
      socket.on('error', () => {})
      socket.resume() // read (and drop) the request, so the client's FIN is seen
    })
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    cleanups.push(
      () =>
        new Promise<void>((resolve) => {
          for (const socket of sockets) socket.destroy()
          silent.close(() => resolve())
        }),
    )
    const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`
    const started = Date.now()
    await expect(transport({ connectTimeoutMs: 200 }).connect(url)).rejects.toThrow(
      `cannot connect to ${url}: the WebSocket did not open within 200 ms`,
    )
    expect(Date.now() - started).toBeGreaterThanOrEqual(190)
    await until(() => socketClosed.length === 1)
    await socketClosed[0]
  })
})

describe('createWsTransport options', () => {
  it('rejects a maxFrameBytes or connectTimeoutMs that is not a positive integer', () => {
    for (const options of [{ maxFrameBytes: 0 }, { maxFrameBytes: 1.5 }, { connectTimeoutMs: -1 }]) {
      let error: unknown
      try {
        createWsTransport(options)
      } catch (caught) {
        error = caught
      }
      expect(isTroupeError(error) && error.code).toBe('BAD_ARGUMENT')
    }
  })

  it('dials with the global WebSocket by default, read at each connect', async () => {
    const { url } = await startServer()
    const made = createWsTransport()
    const dialed: string[] = []
    class RecordingWebSocket extends WsWebSocket {
      constructor(address: string) {
        super(address)
        dialed.push(address)
      }
    }
    vi.stubGlobal('WebSocket', RecordingWebSocket)
    const connection = await made.connect(url)
    cleanups.push(() => connection.close())
    expect(dialed).toEqual([url])
  })

  it('rejects connect where there is no WebSocket (server-side rendering, Node 20)', async () => {
    vi.stubGlobal('WebSocket', undefined)
    await expect(createWsTransport().connect('ws://127.0.0.1:1')).rejects.toThrow(
      'cannot connect to ws://127.0.0.1:1: this environment has no WebSocket',
    )
  })
})
