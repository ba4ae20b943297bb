import { Socket } from 'node:net'
import type { Connection, ConnectionInfo, Listener } from '@troupe/core'
import { CLOSE_CODES } from '@troupe/core'
import { createTcpProxy, type TcpProxy } from '@troupe/test-support'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { WebSocket } from 'ws'
import { createWsTransport, type WsTransportOptions } from '../src/wsTransport.js'
import { selfSignedCertificate } from './support/selfSigned.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  vi.restoreAllMocks()
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** A connection with its messages and close collected into promises. */
interface Probe {
  readonly connection: Connection
  /** Resolves with the next message not yet taken. */
  next(): Promise<Uint8Array>
  /** Resolves with onClose's arguments. */
  readonly closed: Promise<[code: number, reason: string]>
  /** How many times onClose ran. */
  readonly closeCalls: number
}

function probe(connection: Connection): Probe {
  const inbox: Uint8Array[] = []
  const waiters: Array<(bytes: Uint8Array) => void> = []
  let closeCalls = 0
  let onClosed: (args: [number, string]) => void = () => {}
  const closed = new Promise<[number, string]>((resolve) => {
    onClosed = resolve
  })
  connection.onMessage = (bytes) => {
    const waiter = waiters.shift()
    if (waiter) waiter(bytes)
    else inbox.push(bytes)
  }
  connection.onClose = (code, reason) => {
    closeCalls++
    onClosed([code, reason])
  }
  cleanups.push(() => connection.close())
  return {
    connection,
    next: () => {
      const bytes = inbox.shift()
      return bytes ? Promise.resolve(bytes) : new Promise((resolve) => waiters.push(resolve))
    },
    closed,
    get closeCalls() {
      return closeCalls
    },
  }
}

/** A listening transport whose accepted connections can be awaited in order. */
async function hub(options: WsTransportOptions = {}) {
  const accepted: Array<[Connection, ConnectionInfo]> = []
  const waiters: Array<(entry: [Connection, ConnectionInfo]) => void> = []
  const listener = await createWsTransport(options).listen!((connection, info) => {
    const waiter = waiters.shift()
    if (waiter) waiter([connection, info])
    else accepted.push([connection, info])
  })
  cleanups.push(() => listener.close())
  const nextAccepted = (): Promise<[Connection, ConnectionInfo]> => {
    const entry = accepted.shift()
    return entry ? Promise.resolve(entry) : new Promise((resolve) => waiters.push(resolve))
  }
  return { listener, nextAccepted }
}

/** Dials `url` and waits for the hub to accept, returning probes of both ends. */
async function pair(url: string, nextAccepted: () => Promise<[Connection, ConnectionInfo]>, options = {}) {
  const [dialed, [accepted, info]] = await Promise.all([
    createWsTransport(options).connect(url),
    nextAccepted(),
  ])
  return { client: probe(dialed), server: probe(accepted), info }
}

const bytesOf = (...values: number[]) => new Uint8Array(values)
const macrotask = () => new Promise<void>((resolve) => setImmediate(resolve))

describe('createWsTransport', () => {
  it('connects, accepts and echoes binary frames both ways', async () => {
    const { listener, nextAccepted } = await hub()
    expect(listener.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/)
    expect(listener.url).not.toBe('ws://127.0.0.1:0')
    const { client, server, info } = await pair(listener.url, nextAccepted)

    expect(info.remote).toMatch(/^127\.0\.0\.1:\d+$/)
    expect(info.headers?.['sec-websocket-version']).toBe('13')
    expect(server.connection.remote).toBe(info.remote)
    expect(client.connection.remote).toBe(listener.url.slice('ws://'.length))

    client.connection.send(bytesOf(0, 1, 2, 255))
    const atServer = await server.next()
    expect(Object.getPrototypeOf(atServer)).toBe(Uint8Array.prototype)
    expect([...atServer]).toEqual([0, 1, 2, 255])

    const large = new Uint8Array(200_000).map((_, i) => i % 251)
    server.connection.send(large)
    server.connection.send(bytesOf(7))
    expect(Buffer.compare(await client.next(), large)).toBe(0)
    expect([...(await client.next())]).toEqual([7])
  })

  it('keeps frames that arrive before the owner sets onMessage', async () => {
    const listener = await createWsTransport().listen!((connection) => {
      connection.send(bytesOf(1))
      connection.send(bytesOf(2))
    })
    cleanups.push(() => listener.close())
    const connection = await createWsTransport().connect(listener.url)
    cleanups.push(() => connection.close())
    await macrotask()
    await macrotask()
    const received: number[] = []
    const done = new Promise<void>((resolve) => {
      connection.onMessage = (bytes) => {
        received.push(...bytes)
        if (received.length === 2) resolve()
      }
    })
    await done
    expect(received).toEqual([1, 2])
  })

  it('rejects a refused connect with an error naming the URL', async () => {
    const { listener } = await hub()
    const url = listener.url
    await listener.close()
    await expect(createWsTransport().connect(url)).rejects.toThrow(url)
    await expect(createWsTransport().connect('not a url')).rejects.toThrow('cannot connect to not a url')
  })

  it('rejects listening on a port in use, naming it', async () => {
    const { listener } = await hub()
    const port = Number(new URL(listener.url).port)
    await expect(createWsTransport({ listen: { port } }).listen!(() => {})).rejects.toThrow(
      `127.0.0.1:${port}`,
    )
  })

  it('propagates close codes and reasons to both ends, onClose running once', async () => {
    const { listener, nextAccepted } = await hub()
    const first = await pair(listener.url, nextAccepted)
    first.client.connection.close(CLOSE_CODES.REPLACED, 'replaced')
    expect(await first.client.closed).toEqual([CLOSE_CODES.REPLACED, 'replaced'])
    expect(await first.server.closed).toEqual([CLOSE_CODES.REPLACED, 'replaced'])

    const second = await pair(listener.url, nextAccepted)
    second.server.connection.close()
    expect(await second.client.closed).toEqual([CLOSE_CODES.NORMAL, ''])
    expect(await second.server.closed).toEqual([CLOSE_CODES.NORMAL, ''])

    // closing again, sending after close and the sockets' own close events change nothing
    first.client.connection.close(CLOSE_CODES.GOING_AWAY, 'again')
    first.client.connection.send(bytesOf(1))
    second.server.connection.close()
    await macrotask()
    await macrotask()
    for (const end of [first.client, first.server, second.client, second.server])
      expect(end.closeCalls).toBe(1)
  })

  it('closes with 4002 when the peer sends a text frame', async () => {
    const { listener, nextAccepted } = await hub()
    const raw = new WebSocket(listener.url)
    cleanups.push(() => raw.terminate())
    const rawClosed = new Promise<[number, string]>((resolve) => {
      raw.on('close', (code, reason) => resolve([code, reason.toString()]))
    })
    await new Promise((resolve) => raw.once('open', resolve))
    const [accepted] = await nextAccepted()
    const server = probe(accepted)
    raw.send('hello')
    const expected = [CLOSE_CODES.PROTOCOL_ERROR, 'text frames are not accepted']
    expect(await server.closed).toEqual(expected)
    expect(await rawClosed).toEqual(expected)
  })

  it('closes only the connection that sends a frame over maxFrameBytes', async () => {
    const { listener, nextAccepted } = await hub({ maxFrameBytes: 1024 })
    const big = await pair(listener.url, nextAccepted)
    const small = await pair(listener.url, nextAccepted)
    small.server.connection.onMessage = (bytes) => small.server.connection.send(bytes)

    big.client.connection.send(new Uint8Array(2048))
    const [serverCode] = await big.server.closed
    const [clientCode] = await big.client.closed
    expect(serverCode).toBe(1009)
    expect(clientCode).toBe(1009)

    small.client.connection.send(new Uint8Array(1024).fill(9))
    expect((await small.client.next()).byteLength).toBe(1024)
  })

  it('reports bufferedAmount as a number', async () => {
    const { listener, nextAccepted } = await hub()
    const { client, server } = await pair(listener.url, nextAccepted)
    expect(client.connection.bufferedAmount).toBe(0)
    client.connection.send(new Uint8Array(64 * 1024))
    expect(typeof client.connection.bufferedAmount).toBe('number')
    expect(typeof server.connection.bufferedAmount).toBe('number')
    await server.next()
  })

  it('sets TCP_NODELAY on both ends', async () => {
    const setNoDelay = vi.spyOn(Socket.prototype, 'setNoDelay')
    const { listener, nextAccepted } = await hub()
    await pair(listener.url, nextAccepted)
    expect(new Set(setNoDelay.mock.contexts).size).toBeGreaterThanOrEqual(2)
    expect(setNoDelay.mock.calls.every(([noDelay]) => noDelay !== false)).toBe(true)
  })

  it('closes its connections when the listener closes, and refuses new ones', async () => {
    const { listener, nextAccepted } = await hub()
    const { client, server } = await pair(listener.url, nextAccepted)
    await listener.close()
    expect(await server.closed).toEqual([CLOSE_CODES.GOING_AWAY, 'listener closed'])
    const [code] = await client.closed
    // the close frame is written before the socket is destroyed; 1006 if it did not get out
    expect([CLOSE_CODES.GOING_AWAY, 1006]).toContain(code)
    await expect(createWsTransport().connect(listener.url)).rejects.toThrow(listener.url)
  })
})

describe('createWsTransport over TLS', () => {
  let key = ''
  let cert = ''
  beforeAll(() => {
    ;({ key, cert } = selfSignedCertificate())
  })

  it('echoes over wss:// when the dialer trusts the certificate', async () => {
    const { listener, nextAccepted } = await hub({ listen: { tls: { key, cert } } })
    expect(listener.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/)
    const { client, server } = await pair(listener.url, nextAccepted, { ca: new TextEncoder().encode(cert) })
    server.connection.onMessage = (bytes) => server.connection.send(bytes)
    client.connection.send(bytesOf(4, 5, 6))
    expect([...(await client.next())]).toEqual([4, 5, 6])
  })

  it('refuses an untrusted certificate, naming the URL', async () => {
    const { listener } = await hub({ listen: { tls: { key, cert } } })
    await expect(createWsTransport().connect(listener.url)).rejects.toThrow(listener.url)
  })
})

describe('createTcpProxy', () => {
  async function proxied() {
    const { listener, nextAccepted } = await hub()
    const port = Number(new URL(listener.url).port)
    const proxy: TcpProxy = await createTcpProxy({ targetHost: '127.0.0.1', targetPort: port })
    cleanups.push(() => proxy.close())
    return { listener: listener as Listener, nextAccepted, proxy }
  }

  it('passes traffic both ways', async () => {
    const { nextAccepted, proxy } = await proxied()
    const { client, server } = await pair(proxy.url(), nextAccepted)
    expect(proxy.connections).toBe(1)
    server.connection.onMessage = (bytes) => server.connection.send(bytes)
    client.connection.send(bytesOf(8, 9))
    expect([...(await client.next())]).toEqual([8, 9])

    // a clean close travels through the proxy as one
    client.connection.close(CLOSE_CODES.NORMAL, 'bye')
    expect(await server.closed).toEqual([CLOSE_CODES.NORMAL, 'bye'])
  })

  it('cut() drops both ends and refuses connections until restore()', async () => {
    const { nextAccepted, proxy } = await proxied()
    const { client, server } = await pair(proxy.url(), nextAccepted)

    proxy.cut()
    expect((await client.closed)[0]).toBe(1006)
    expect((await server.closed)[0]).toBe(1006)
    expect(proxy.connections).toBe(0)
    await expect(createWsTransport().connect(proxy.url())).rejects.toThrow(proxy.url())

    proxy.restore()
    const again = await pair(proxy.url(), nextAccepted)
    again.server.connection.onMessage = (bytes) => again.server.connection.send(bytes)
    again.client.connection.send(bytesOf(3))
    expect([...(await again.client.next())]).toEqual([3])
  })
})
