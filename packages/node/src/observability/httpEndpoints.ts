import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Registry } from 'prom-client'
import type { ReadinessState } from './readiness.js'

/** Answers one plain HTTP request (not a WebSocket upgrade) on a hub's port. */
export type RequestHandler = (request: IncomingMessage, response: ServerResponse) => void

/** Options of {@link createHttpEndpoints}. @internal */
export interface HttpEndpointsOptions {
  readiness: ReadinessState
  /** Serve `GET /metrics` from this registry; without it `/metrics` is 404 like any other path. */
  registry?: Registry | undefined
  /** Gets every request that is not for these endpoints; without it, 404. */
  fallback?: RequestHandler | undefined
}

/**
 * The hub's HTTP endpoints for orchestrators and Prometheus, beside the
 * WebSocket upgrade on the same port:
 * - `GET /healthz`: 200 while the process is alive (it answers);
 * - `GET /readyz`: 200 once the hub has joined, 503 before and from `close()` on;
 * - `GET /metrics`: the registry in Prometheus text format (when metrics are on).
 *
 * `HEAD` is answered like `GET` without a body; other methods get 405.
 * @internal
 */
export function createHttpEndpoints(options: HttpEndpointsOptions): RequestHandler {
  const { readiness, registry, fallback } = options
  const routes = new Map<string, (response: ServerResponse) => void | Promise<void>>([
    ['/healthz', (response) => send(response, 200, 'ok\n')],
    [
      '/readyz',
      (response) => {
        const state = readiness.current
        if (state.ready) send(response, 200, 'ready\n')
        else send(response, 503, `not ready: ${state.reason}\n`)
      },
    ],
  ])
  if (registry !== undefined) {
    routes.set('/metrics', async (response) => {
      try {
        send(response, 200, await registry.metrics(), registry.contentType)
      } catch (error) {
        send(
          response,
          500,
          `cannot collect metrics: ${error instanceof Error ? error.message : String(error)}\n`,
        )
      }
    })
  }

  return (request, response) => {
    const path = (request.url ?? '/').split('?', 1)[0] ?? '/'
    const route = routes.get(path)
    if (route === undefined) {
      if (fallback !== undefined) fallback(request, response)
      else send(response, 404, 'not found\n')
      return
    }
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('Allow', 'GET, HEAD')
      send(response, 405, 'method not allowed\n')
      return
    }
    void route(response)
  }
}

function send(
  response: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
): void {
  if (response.headersSent) return
  response.writeHead(status, {
    'Content-Type': contentType,
    'Content-Length': Buffer.byteLength(body),
    'Cache-Control': 'no-store',
  })
  // a HEAD request gets the headers only: Node's http server drops the body for it
  response.end(body)
}
