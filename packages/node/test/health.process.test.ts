// GET /healthz and /readyz of a hub process: not ready until it has a link to a seed hub, ready after,
// not ready from the moment close() starts (while it still serves), and the WebSocket port keeps working.
import { freePort, type NodeWorker, startNodeWorker, waitFor } from '@troupe/test-support'
import { afterEach, describe, expect, it } from 'vitest'

const running: NodeWorker[] = []
afterEach(async () => {
  for (const worker of running) if (worker.alive) worker.child.kill('SIGCONT')
  await Promise.all(running.splice(0).map((worker) => worker.kill()))
})

async function start(id: string, options: Record<string, unknown>) {
  const worker = await startNodeWorker(id, options)
  running.push(worker)
  return worker
}

const get = async (url: string, path: string, method = 'GET') => {
  const response = await fetch(`${url.replace(/^ws/, 'http')}${path}`, { method })
  return `${response.status} ${(await response.text()).trim()}`
}

describe('health endpoints on the listen port', () => {
  it('/readyz turns 200 once the hub links to its seed and 503 as soon as close() starts; /healthz answers throughout', async () => {
    const seedPort = await freePort()
    // a long grace and a slow failure detector: close() waits for what b has not acknowledged
    const a = await start('a', {
      listen: { host: '127.0.0.1', port: 0 },
      seeds: [`ws://127.0.0.1:${seedPort}`],
      closeGraceMs: 20_000,
      suspectAfterMs: 10_000,
      downAfterMs: 20_000,
    })
    expect(await get(a.url, '/healthz')).toBe('200 ok')
    expect(await get(a.url, '/readyz')).toBe(
      `503 not ready: no link to another hub yet (seeds: ws://127.0.0.1:${seedPort})`,
    )
    expect(await get(a.url, '/metrics')).toBe('404 not found') // metrics are off by default
    expect(await get(a.url, '/')).toBe('404 not found')
    expect(await get(a.url, '/readyz', 'POST')).toBe('405 method not allowed')

    const b = await start('b', { listen: { host: '127.0.0.1', port: seedPort } })
    expect(await get(b.url, '/readyz')).toBe('200 ready') // no seeds: ready once it listens
    await waitFor(async () => (await get(a.url, '/readyz')) === '200 ready', {
      timeoutMs: 15_000,
      what: 'a is ready once it links to its seed',
    })
    // the WebSocket upgrade on the same port still works
    expect(await b.ask('echo@a', 'over the same port', { timeoutMs: 5_000 })).toEqual({
      ok: true,
      value: 'over the same port',
    })

    // b stops reading: what a sends it stays unacknowledged, and a's close() waits for it
    b.child.kill('SIGSTOP')
    expect(await a.sendNumbered('log@b', 0, 3)).toBe(3)
    const closing = a.close()
    await waitFor(async () => (await get(a.url, '/readyz')) === '503 not ready: closing', {
      timeoutMs: 10_000,
      what: 'a is not ready once close() started',
    })
    expect(await get(a.url, '/healthz')).toBe('200 ok')
    b.child.kill('SIGCONT')
    await closing
    await expect(fetch(`${a.url.replace(/^ws/, 'http')}/healthz`)).rejects.toThrow()
    expect(await b.numbersFrom('a')).toEqual([0, 1, 2])
  }, 60_000)
})
