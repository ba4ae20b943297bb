import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http'
import { createServer as createHttpsServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import type { Connection, ConnectionInfo, Listener, Transport } from '@troupe/core'
import { CLOSE_CODES, TroupeError } from '@troupe/core'
import { DEFAULTS } from '@troupe/core/internal'
// the client dials through isomorphic-ws (in Node, ws itself: the same class the server hands out);
// the server side only ws has
import WebSocket from 'isomorphic-ws'
import { type ClientOptions, type ServerOptions, WebSocketServer } from 'ws'
import { formatRemote, wrapWebSocket } from './wsConnection.js'

/** Options of {@link createWsTransport}. */
export interface WsTransportOptions {
  /** Accept connections here (hubs). Without it `listen` still works, on the defaults. */
  listen?: {
    /** Interface to bind; also the host of the listener's `url`. @default '127.0.0.1' */
    host?: string
    /** Port 0 picks a free port. @default 0 */
    port?: number
    /** Serve `wss://` with this PEM key and certificate. */
    tls?: { key: string | Uint8Array; cert: string | Uint8Array }
    /**
     * Answers plain HTTP requests on this port (health checks, metrics); WebSocket
     * upgrades never reach it. Without it every plain request gets 404.
     */
    onRequest?: (request: IncomingMessage, response: ServerResponse) => void
  }
  /** Largest message accepted, enforced by ws before anything is buffered. @default 1_048_576 */
  maxFrameBytes?: number
  /** Trust these CA certs when dialing wss:// (for self-signed certs in tests). */
  ca?: string | Uint8Array | Array<string | Uint8Array>
  /** How long `connect` waits for the WebSocket to open (its HTTP upgrade) before it rejects. @default 10_000 */
  connectTimeoutMs?: number
  /** @deprecated The old name of {@link WsTransportOptions.connectTimeoutMs} (not the node's protocol `handshakeTimeoutMs`). */
  handshakeTimeoutMs?: number
}

/**
 * Defaults of the WebSocket transport, in one place.
 * @internal
 */
export const WS_DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  maxFrameBytes: DEFAULTS.maxFrameBytes,
  connectTimeoutMs: 10_000,
  /** How long a closed socket waits for the peer's close frame before it is destroyed (ws's own default is 30 s). */
  closeTimeoutMs: 5_000,
} as const

/** WebSocket's "internal error" close code, for a connection whose accept callback threw. */
const INTERNAL_ERROR = 1011

/** `closeTimeout` exists in ws ≥ 8.19 but not yet in @types/ws. */
type WithCloseTimeout<T> = T & { closeTimeout: number }

/**
 * The Node.js WebSocket transport, on the `ws` library: it dials `ws://` and
 * `wss://` URLs and, for hubs, listens. Messages are binary frames; a text
 * frame closes the connection with `CLOSE_CODES.PROTOCOL_ERROR`, a frame over
 * `maxFrameBytes` closes it with 1009. Neither touches other connections.
 * When this side ends a connection (`close`, or a bad frame) `onClose` reports
 * this side's code and reason at once; the closing handshake finishes in the
 * background. The `accept` callback must not throw: if it does, that
 * connection is closed with 1011 and the error is rethrown.
 *
 * @example
 * ```ts
 * const transport = createWsTransport({ listen: { port: 0 } })
 * const listener = await transport.listen!((connection, info) => {
 *   connection.onMessage = (bytes) => connection.send(bytes)
 * })
 * const connection = await createWsTransport().connect(listener.url)
 * connection.onMessage = (bytes) => console.log('echo', bytes)
 * connection.send(new Uint8Array([1, 2, 3]))
 * ```
 */
export function createWsTransport(options: WsTransportOptions = {}): Transport {
  const maxFrameBytes = positiveInteger('maxFrameBytes', options.maxFrameBytes ?? WS_DEFAULTS.maxFrameBytes)
  const connectTimeoutMs = positiveInteger(
    'connectTimeoutMs',
    options.connectTimeoutMs ?? options.handshakeTimeoutMs ?? WS_DEFAULTS.connectTimeoutMs,
  )
  const clientOptions: WithCloseTimeout<ClientOptions> = {
    perMessageDeflate: false,
    maxPayload: maxFrameBytes,
    handshakeTimeout: connectTimeoutMs,
    closeTimeout: WS_DEFAULTS.closeTimeoutMs,
    ...(options.ca === undefined ? {} : { ca: toPem(options.ca) }),
  }

  return {
    connect: (url) => connect(url, clientOptions),
    listen: (accept) => listen(accept, options.listen ?? {}, maxFrameBytes),
  }
}

function connect(url: string, clientOptions: ClientOptions): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const fail = (error: unknown): void => {
      reject(new TroupeError('CONNECTION', `cannot connect to ${url}: ${describe(error)}`, { cause: error }))
    }
    let socket: WebSocket
    try {
      socket = new WebSocket(url, clientOptions)
    } catch (error) {
      fail(error) // a malformed URL or a scheme other than ws/wss
      return
    }
    let remote = 'unknown'
    socket.once('upgrade', (response) => {
      remote = formatRemote(response.socket.remoteAddress, response.socket.remotePort)
    })
    // ws tears the socket down itself after an error before 'open', so nothing leaks
    socket.on('error', fail)
    socket.once('open', () => {
      const connection = wrapWebSocket(socket, remote)
      socket.off('error', fail)
      resolve(connection)
    })
  })
}

async function listen(
  accept: (connection: Connection, info: ConnectionInfo) => void,
  where: NonNullable<WsTransportOptions['listen']>,
  maxFrameBytes: number,
): Promise<Listener> {
  const host = where.host ?? WS_DEFAULTS.host
  const port = where.port ?? WS_DEFAULTS.port
  const server: Server = where.tls
    ? createHttpsServer({ key: toPem(where.tls.key), cert: toPem(where.tls.cert) })
    : createHttpServer()
  server.on('request', where.onRequest ?? notFound)
  const serverOptions: WithCloseTimeout<ServerOptions> = {
    server,
    maxPayload: maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
    closeTimeout: WS_DEFAULTS.closeTimeoutMs,
  }
  const wss = new WebSocketServer(serverOptions)
  // ws re-emits the HTTP server's errors here; unhandled they would crash the process, and the
  // only one that can happen (failing to bind) is reported by the listen promise below
  wss.on('error', () => {})
  const open = new Map<WebSocket, Connection>()
  wss.on('connection', (socket, request) => {
    const remote = formatRemote(request.socket.remoteAddress, request.socket.remotePort)
    const connection = wrapWebSocket(socket, remote)
    open.set(socket, connection)
    socket.once('close', () => open.delete(socket))
    try {
      accept(connection, { remote, headers: request.headers })
    } catch (error) {
      connection.close(INTERNAL_ERROR, 'accept failed')
      // rethrown outside ws's upgrade handler, which it would leave half-way
      queueMicrotask(() => {
        throw error
      })
    }
  })

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(port, host, () => {
        server.off('error', reject)
        resolve()
      })
    })
  } catch (error) {
    wss.close()
    throw new TroupeError('CONNECTION', `cannot listen on ${formatHost(host)}:${port}: ${describe(error)}`, {
      cause: error,
    })
  }

  const { port: boundPort } = server.address() as AddressInfo
  const url = `${where.tls ? 'wss' : 'ws'}://${formatHost(host)}:${boundPort}`
  let closing: Promise<void> | undefined
  const close = (): Promise<void> => {
    closing ??= new Promise((resolve) => {
      for (const [socket, connection] of open) {
        // the close frame is written before the socket is destroyed, so a live peer still learns why
        connection.close(CLOSE_CODES.GOING_AWAY, 'listener closed')
        socket.terminate()
      }
      wss.close()
      server.close(() => resolve())
      // sockets still in (or before) their HTTP upgrade would otherwise hold server.close open
      server.closeAllConnections()
    })
    return closing
  }
  const listener: Listener & AsyncDisposable = { url, close, [Symbol.asyncDispose]: close }
  return listener
}

function notFound(_request: IncomingMessage, response: ServerResponse): void {
  response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n')
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new TroupeError('BAD_ARGUMENT', `ws transport: ${name} must be a positive integer, got ${value}`)
  }
  return value
}

/** Node's TLS options take strings or Buffers; a plain Uint8Array is read as PEM text. */
function toPem(
  value: string | Uint8Array | Array<string | Uint8Array>,
): string | Buffer | Array<string | Buffer> {
  if (Array.isArray(value)) return value.map((item) => toPem(item) as string | Buffer)
  return typeof value === 'string' ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)
}

/** Brackets an IPv6 literal for use in a URL. */
function formatHost(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host
}

/** An error's message; Node's AggregateError (both address families refused) has an empty one. */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  if (error.message !== '') return error.message
  const code = (error as NodeJS.ErrnoException).code
  return code ?? error.name
}
