import { createConnection, createServer, type Server } from 'node:net'
import { createNode, createWsTransport, type Node } from '@troupe/node'
import { waitFor } from '@troupe/test-support'
import { afterEach, beforeAll, describe, expect, it } from 'vitest'
import { selfSignedCertificate } from './support/selfSigned.js'

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

let key = ''

let cert = ''

beforeAll(() => {

  ;({ key, cert } = selfSignedCertificate())
})

async function node(options: Parameters<typeof createNode>[0]): Promise<Node> {
  const started = await createNode(options)
  cleanups.push(() => started.close())
  return started
}

/** A TCP forwarder to `port` that counts the connections made through it (each dial attempt is one). */
async function countingForwarder(port: number): Promise<{ port: number; readonly count: number }> {
  let count = 0
  const sockets = new Set<import('node:net').Socket>()
  const server: Server = createServer((client) => {
    count++
    const upstream = createConnection({ host: '127.0.0.1', port })
    for (const socket of [client, upstream]) {
      sockets.add(socket)
      socket.on('error', () => {})
      socket.on('close', () => sockets.delete(socket))
    }
    client.pipe(upstream).pipe(client)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      }),
  )
  return {
    port: (server.address() as { port: number }).port,
    get count() {
      return count
    },
  }
}

describe('nodes over wss://', () => {
  it('link over TLS when the dialer trusts the certificate, and ask across both ways', async () => {
    const hub = await node({ id: 'tls-hub', listen: { host: '127.0.0.1', port: 0, tls: { key, cert } } })
    expect(hub.url).toMatch(/^wss:\/\/127\.0\.0\.1:\d+$/)
    hub.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
    const upAtHub = new Promise((resolve) => hub.on('member-up', (m) => m.id === 'tls-client' && resolve(m)))

    const client = await node({ id: 'tls-client', seeds: [hub.url!], ca: cert })
    client.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
    await upAtHub
    expect(client.connectionState).toBe('online')
    expect(await client.ask('echo@tls-hub', { over: 'tls' }, { timeoutMs: 5_000 })).toEqual({ over: 'tls' })
    expect(await hub.ask('echo@tls-client', 'and back', { timeoutMs: 5_000 })).toBe('and back')
    expect(client.metrics().peers['tls-hub']?.connected).toBe(true)
  })

  it('keeps out a node that does not trust the certificate: its handshake fails, again and again, and it never becomes a member', async () => {
    const hub = await node({ id: 'tls-hub', listen: { host: '127.0.0.1', port: 0, tls: { key, cert } } })
    const hubPort = Number(new URL(hub.url!).port)
    const joined: string[] = []
    hub.on('member-up', (m) => joined.push(m.id))

    // the TLS handshake itself is refused: the dialer does not trust a self-signed certificate by default
    await expect(createWsTransport().connect(hub.url!)).rejects.toThrow(/self[- ]signed/i)

    // a node without the CA, dialing through a forwarder that counts its attempts
    const forwarder = await countingForwarder(hubPort)
    const outsider = await node({
      id: 'outsider',
      seeds: [`wss://127.0.0.1:${forwarder.port}`],
      reconnect: { initialMs: 20, maxMs: 100 },
    })
    await waitFor(() => forwarder.count >= 5, {
      timeoutMs: 15_000,
      intervalMs: 20,
      what: () => `5 dial attempts through the forwarder (saw ${forwarder.count})`,
    })
    expect(forwarder.count).toBeGreaterThanOrEqual(5) // it kept trying...
    expect(outsider.connectionState).toBe('connecting') // ...and never got through
    expect(outsider.metrics().peers).toEqual({})
    expect(hub.members().map((m) => m.id)).toEqual(['tls-hub'])
    expect(joined).toEqual([])

    // the same hub still takes a node that trusts the certificate
    const insider = await node({ id: 'insider', seeds: [hub.url!], ca: cert })
    insider.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
    expect(await hub.ask('echo@insider', 'in', { timeoutMs: 5_000 })).toBe('in')
    expect(
      hub
        .members()
        .map((m) => m.id)
        .sort(),
    ).toEqual(['insider', 'tls-hub'])
    console.log(
      `tls: a node without the CA tried ${forwarder.count} times and stayed out; one with it joined and answered`,
    )
  })
})
