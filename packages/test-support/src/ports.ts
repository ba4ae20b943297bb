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
  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
