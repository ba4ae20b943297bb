// Plain HTTP requests on a listening ws transport's port: 404 by default (they used to hang), or
// `listen.onRequest`'s answer; WebSocket upgrades on the same port are unaffected.
import type { Listener } from '@troupe/core'
import { afterEach, describe, expect, it } from 'vitest'
import { createWsTransport } from '../src/wsTransport.js'

const listeners: Listener[] = []
afterEach(async () => {
  await Promise.all(listeners.splice(0).map((listener) => listener.close()))
})

describe('plain HTTP requests on a listener', () => {
  it('get 404 without onRequest, and the WebSocket upgrade still works', async () => {
    const transport = createWsTransport({ listen: { host: '127.0.0.1', port: 0 } })
    const accepted: string[] = []
    const listener = await transport.listen!((connection, info) => {
      accepted.push(info.remote)
      connection.onMessage = (bytes) => connection.send(bytes)
    })
    listeners.push(listener)
    const response = await fetch(listener.url.replace(/^ws/, 'http'), { signal: AbortSignal.timeout(5_000) })
    expect([response.status, await response.text()]).toEqual([404, 'not found\n'])

    const connection = await createWsTransport().connect(listener.url)
    const echoed = new Promise<Uint8Array>((resolve) => {
      connection.onMessage = resolve
    })
    connection.send(new Uint8Array([1, 2, 3]))
    expect([...(await echoed)]).toEqual([1, 2, 3])
    expect(accepted).toHaveLength(1)
    connection.close()
  })

  it('go to onRequest when given', async () => {
    const transport = createWsTransport({
      listen: {
        host: '127.0.0.1',
        port: 0,
        onRequest: (request, response) => response.writeHead(418).end(`${request.method} ${request.url}`),
      },
    })
    const listener = await transport.listen!(() => {})
    listeners.push(listener)
    const response = await fetch(`${listener.url.replace(/^ws/, 'http')}/tea?x=1`)
    expect([response.status, await response.text()]).toEqual([418, 'GET /tea?x=1'])
  })
})
