import { type AddressInfo, createServer } from 'node:net'

/**
 * A TCP port on 127.0.0.1 that was free a moment ago, for a server that must
 * know its port before it listens (one that comes back on the same port after
 * a restart, or one that sits behind a proxy created first). Prefer listening
 * on port 0 whenever the port can be learned afterwards.
 *
 * @example
 * ```ts
 * const port = await freePort()
 * const proxy = await createTcpProxy({ targetHost: '127.0.0.1', targetPort: port })
 * ```
 */
export async function freePort(): Promise<number> {
  const { ports, release } = await reservePorts(1)
  await release()
  return ports[0]!
}

/** Ports held by {@link reservePorts} until `release`. */
export interface ReservedPorts {
  readonly ports: number[]
  release(): Promise<void>
}

/**
 * `count` TCP ports on 127.0.0.1, held until `release()`: whatever listens on
 * port 0 meanwhile (a proxy in front of one of them, say) cannot be handed one
 * of them, as it could one that {@link freePort} has already let go.
 *
 * @example
 * ```ts
 * const reserved = await reservePorts(3)
 * const proxies = await Promise.all(reserved.ports.map((port) => createTcpProxy({ targetHost: '127.0.0.1', targetPort: port })))
 * await reserved.release() // now start the servers on reserved.ports
 * ```
 */
export async function reservePorts(count: number): Promise<ReservedPorts> {
  const servers = Array.from({ length: count }, () => createServer())
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve, reject) => {
          server.once('error', reject)
          server.listen(0, '127.0.0.1', () => resolve())
        }),
    ),
  )
  return {
    ports: servers.map((server) => (server.address() as AddressInfo).port),
    release: () =>
      Promise.all(
        servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))),
      ).then(() => {}),
  }
}
