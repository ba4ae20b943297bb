/**
 * A loopback TCP proxy that counts the bytes crossing it in each direction:
 * what a link really puts on the wire (WebSocket framing, envelopes, acks,
 * heartbeats), not what the application hands it. TCP/IP headers are not
 * counted: they depend on segmenting, not on the protocol.
 */
import { once } from 'node:events'
import { type AddressInfo, connect, createServer, type Socket } from 'node:net'

/** Bytes counted since the last reset. */
export interface ByteCounts {
  /** From the proxy's clients to the target. */
  toTarget: number
  /** From the target to the proxy's clients. */
  fromTarget: number
}

/** A running proxy. */
export interface ByteProxy {
  /** `ws://127.0.0.1:<port>`: dial this instead of the target. */
  readonly url: string
  counts(): ByteCounts
  reset(): void
  close(): Promise<void>
}

/**
 * Starts a proxy on a free loopback port forwarding to `127.0.0.1:targetPort`.
 *
 * @example
 * const proxy = await startByteProxy(9101)
 * // ... clients dial proxy.url ...
 * console.log(proxy.counts())
 */
export async function startByteProxy(targetPort: number): Promise<ByteProxy> {
  const counts: ByteCounts = { toTarget: 0, fromTarget: 0 }
  const sockets = new Set<Socket>()
  const server = createServer((client) => {
    const target = connect(targetPort, '127.0.0.1')
    for (const socket of [client, target]) {
      // like the endpoints' own sockets: no Nagle delay added by the proxy
      socket.setNoDelay(true)
      sockets.add(socket)
      socket.on('close', () => sockets.delete(socket))
      socket.on('error', () => {
        client.destroy()
        target.destroy()
      })
    }
    client.on('data', (chunk: Buffer) => {
      counts.toTarget += chunk.byteLength
    })
    target.on('data', (chunk: Buffer) => {
      counts.fromTarget += chunk.byteLength
    })
    client.pipe(target)
    target.pipe(client)
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    counts: () => ({ ...counts }),
    reset() {
      counts.toTarget = 0
      counts.fromTarget = 0
    },
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise((resolve) => server.close(resolve))
    },
  }
}
