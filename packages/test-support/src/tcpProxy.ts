import { createConnection, createServer, type Socket } from 'node:net'

/** Options of {@link createTcpProxy}. */
export interface TcpProxyOptions {
  targetHost: string
  targetPort: number
}

/** A TCP proxy on 127.0.0.1 that forwards to one target and can cut every link through it. */
export interface TcpProxy {
  /** The port the proxy listens on. */
  readonly port: number
  /** `scheme://127.0.0.1:port`, to dial the target through the proxy. @default scheme 'ws' */
  url(scheme?: string): string
  /** Resets every open connection (both ends see the TCP link die) and refuses new ones until {@link restore}. */
  cut(): void
  /** Accepts and forwards connections again. */
  restore(): void
  /** Resets every connection and stops listening. */
  close(): Promise<void>
  /** Client connections currently open through the proxy. */
  readonly connections: number
}

/** @internal */
interface Pair {
  readonly client: Socket
  readonly upstream: Socket
}

/**
 * Starts a TCP proxy to `targetHost:targetPort`, for tests that partition
 * nodes over real sockets: `cut()` sends RSTs both ways, as a dead link would
 * look once TCP notices.
 *
 * @example
 * ```ts
 * const proxy = await createTcpProxy({ targetHost: '127.0.0.1', targetPort: 8080 })
 * const connection = await transport.connect(proxy.url())
 * proxy.cut() // both ends see onClose
 * proxy.restore()
 * await proxy.close()
 * ```
 */
export async function createTcpProxy(options: TcpProxyOptions): Promise<TcpProxy> {
  const pairs = new Set<Pair>()
  let refusing = false

  // allowHalfOpen: a FIN from one side is passed on as a FIN, so a WebSocket closing handshake
  // through the proxy completes exactly as it would directly
  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    client.on('error', () => {})
    if (refusing) {
      reset(client)
      return
    }
    const upstream = createConnection({
      host: options.targetHost,
      port: options.targetPort,
      allowHalfOpen: true,
      noDelay: true,
    })
    upstream.on('error', () => {})
    const pair: Pair = { client, upstream }
    pairs.add(pair)
    client.pipe(upstream)
    upstream.pipe(client)
    // one side dying abruptly kills the other the same way; a clean close travels as FINs through pipe()
    client.on('close', (hadError) => {
      pairs.delete(pair)
      if (hadError) reset(upstream)
    })
    upstream.on('close', (hadError) => {
      if (hadError) reset(client)
    })
  })
  server.on('error', () => {})

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  const address = server.address()
  if (address === null || typeof address === 'string') throw new Error('tcp proxy: no TCP address')
  const { port } = address

  const resetAll = (): void => {
    for (const { client, upstream } of pairs) {
      reset(client)
      reset(upstream)
    }
    pairs.clear()
  }

  return {
    port,
    url: (scheme = 'ws') => `${scheme}://127.0.0.1:${port}`,
    cut() {
      refusing = true
      resetAll()
    },
    restore() {
      refusing = false
    },
    close() {
      refusing = true
      resetAll()
      return new Promise((resolve) => server.close(() => resolve()))
    },
    get connections() {
      return pairs.size
    },
  }
}

/** Drops the socket with an RST rather than a FIN, so the peer sees a dead link, not a clean close. */
function reset(socket: Socket): void {
  if (socket.destroyed) return
  try {
    socket.resetAndDestroy()
  } catch {
    socket.destroy()
  }
}
