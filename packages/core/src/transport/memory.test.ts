import { describe, expect, it } from 'vitest'
import { isTroupeError } from '../errors.js'
import { createRandom } from '../testing/random.js'
import { createTestClock, type TestClock } from '../testing/testClock.js'
import { createMemoryNetwork, type MemoryNetwork, type MemoryNetworkOptions } from './memory.js'
import type { Connection } from './transport.js'

/** Randomized tests replay with `SEED=<n>`; every assertion on random outcomes names the seed. */
const SEED = Number(process.env.SEED ?? 1)
const seedNote = `seed ${SEED} (replay with SEED=${SEED})`

const frame = (i: number) => new Uint8Array([i >> 8, i & 0xff])
const indexOf = (bytes: Uint8Array) => (bytes[0]! << 8) | bytes[1]!

interface Pair {
  clock: TestClock
  net: MemoryNetwork
  /** The dialing end (node `client`). */
  client: Connection
  /** The accepting end (node `server`). */
  server: Connection
  /** Frame indexes each end received, in order. */
  atClient: number[]
  atServer: number[]
  /** Close events each end saw. */
  closes: { client: [number, string][]; server: [number, string][] }
}

async function connectPair(options: MemoryNetworkOptions = {}): Promise<Pair> {
  const clock = createTestClock()
  const net = createMemoryNetwork({ clock, seed: SEED, ...options })
  const accepted: Connection[] = []
  await net.transport('server').listen!((connection) => accepted.push(connection))
  const client = await net.transport('client').connect('mem://server')
  const server = accepted[0]!
  const pair: Pair = {
    clock,
    net,
    client,
    server,
    atClient: [],
    atServer: [],
    closes: { client: [], server: [] },
  }
  client.onMessage = (bytes) => pair.atClient.push(indexOf(bytes))
  server.onMessage = (bytes) => pair.atServer.push(indexOf(bytes))
  client.onClose = (code, reason) => pair.closes.client.push([code, reason])
  server.onClose = (code, reason) => pair.closes.server.push([code, reason])
  return pair
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i)
const sendAll = (connection: Connection, n: number) => {
  for (const i of range(n)) connection.send(frame(i))
}

describe('memory network: connections', () => {
  it('connects, accepts and carries frames both ways', async () => {
    const clock = createTestClock()
    const net = createMemoryNetwork({ clock })
    const infos: string[] = []
    const listener = await net.transport('n1').listen!((connection, info) => {
      infos.push(info.remote)
      connection.onMessage = (bytes) => connection.send(bytes.map((b) => b * 2))
    })
    expect(listener.url).toBe('mem://n1')
    const client = await net.transport('n2').connect('mem://n1')
    expect(client.remote).toBe('mem://n1')
    expect(infos).toEqual(['mem://n2'])
    const echoes: number[][] = []
    client.onMessage = (bytes) => echoes.push([...bytes])
    client.send(new Uint8Array([1, 2]))
    client.send(new Uint8Array([3]))
    await clock.advance(0)
    expect(echoes).toEqual([[2, 4], [6]])
    expect(net.stats).toMatchObject({ sent: 4, delivered: 4, opened: 1, refused: 0 })
  })

  it('gives the accepting end remote mem://<dialer> and keeps frames sent before a handler is set', async () => {
    const clock = createTestClock()
    const net = createMemoryNetwork({ clock })
    const remotes: string[] = []
    await net.transport('hub').listen!((connection) => {
      remotes.push(connection.remote)
      connection.send(new Uint8Array([7])) // before the dialer could set onMessage
    })
    const client = await net.transport('tab').connect('mem://hub')
    await clock.advance(0)
    const got: number[] = []
    client.onMessage = (bytes) => got.push(bytes[0]!)
    await clock.advance(0)
    expect(remotes).toEqual(['mem://tab'])
    expect(got).toEqual([7])
  })

  it('never delivers inside send, and copies the bytes', async () => {
    const { clock, client, atServer } = await connectPair()
    const buffer = frame(1)
    client.send(buffer)
    buffer.set(frame(2))
    expect(atServer).toEqual([])
    expect(client.bufferedAmount).toBe(2)
    await clock.advance(0)
    expect(atServer).toEqual([1])
    expect(client.bufferedAmount).toBe(0)
  })

  it('refuses a connect with no listener or a malformed URL, asynchronously and naming the URL', async () => {
    const net = createMemoryNetwork({ clock: createTestClock() })
    const dial = net.transport('a')
    let settled = false
    const pending = dial.connect('mem://nobody').finally(() => {
      settled = true
    })
    expect(settled).toBe(false)
    await expect(pending).rejects.toThrow('cannot connect to mem://nobody: no listener')
    await expect(dial.connect('ws://a')).rejects.toThrow('ws://a: malformed URL')
    await expect(dial.connect('mem://')).rejects.toThrow('malformed URL')
    expect(net.stats.refused).toBe(3)
    await net.transport('b').listen!(() => {})
    await expect(net.transport('b').listen!(() => {})).rejects.toThrow('mem://b: already bound')
  })

  it('closes both ends once with the closer’s code and reason, discarding frames in flight', async () => {
    const { clock, net, client, server, atServer, closes } = await connectPair()
    net.faults({ delayMs: [10, 10] })
    client.send(frame(1))
    server.close(4009, 'replaced')
    client.close(1000, 'late')
    client.send(frame(2))
    expect(closes.client).toEqual([]) // onClose is not synchronous either
    await clock.advance(100)
    expect(closes.client).toEqual([[4009, 'replaced']])
    expect(closes.server).toEqual([[4009, 'replaced']])
    server.onClose = (code, reason) => closes.server.push([code, reason]) // a new handler is not called again
    await clock.advance(0)
    expect(closes.server).toHaveLength(1)
    expect(atServer).toEqual([])
    expect(client.bufferedAmount).toBe(0)
    expect(clock.pending).toBe(0)
    expect(net.stats.sent).toBe(1)
  })

  it('hands over the frames sent before an orderly close, then the close', async () => {
    const { clock, net, client, atServer, closes } = await connectPair()
    net.faults({ delayMs: [5, 15] })
    client.send(frame(1))
    client.send(frame(2))
    client.close(1001, 'bye')
    client.send(frame(3))
    await clock.advance(100)
    expect(atServer).toEqual([1, 2])
    expect(closes.server).toEqual([[1001, 'bye']])
    expect(closes.client).toEqual([[1001, 'bye']])
  })

  it('uses code 1000 and an empty reason by default', async () => {
    const { clock, client, closes } = await connectPair()
    client.close()
    await clock.advance(0)
    expect(closes.server).toEqual([[1000, '']])
  })

  it('rejects bad fault rates and merges good ones', () => {
    const net = createMemoryNetwork({ clock: createTestClock() })
    const bad = (rates: Parameters<MemoryNetwork['faults']>[0]) => {
      try {
        net.faults(rates)
      } catch (error) {
        return isTroupeError(error, 'BAD_ARGUMENT')
      }
      return false
    }
    expect(bad({ drop: 1.5 })).toBe(true)
    expect(bad({ reorder: -0.1 })).toBe(true)
    expect(bad({ delayMs: [5, 1] })).toBe(true)
    expect(bad({ duplicate: Number.NaN })).toBe(true)
    expect(bad({ drop: 0.5 })).toBe(false)
    expect(bad({})).toBe(false)
  })
})

describe('memory network: faults', () => {
  it('keeps send order under random delays', async () => {
    const { clock, net, client, server, atServer, atClient } = await connectPair()
    net.faults({ delayMs: [0, 50] })
    sendAll(client, 300)
    sendAll(server, 300)
    expect(clock.pending).toBeGreaterThan(0)
    await clock.advance(50)
    expect(atServer, seedNote).toEqual(range(300))
    expect(atClient, seedNote).toEqual(range(300))
    expect(client.bufferedAmount).toBe(0)
  })

  it('drops frames at about the configured rate, leaving the connection open', async () => {
    const { clock, net, client, atServer, closes } = await connectPair()
    net.faults({ drop: 0.2 })
    sendAll(client, 1000)
    await clock.advance(0)
    const { dropped, delivered } = net.stats
    expect(dropped, seedNote).toBeGreaterThan(120)
    expect(dropped, seedNote).toBeLessThan(280)
    expect(delivered).toBe(1000 - dropped)
    expect(atServer).toEqual([...atServer].sort((a, b) => a - b))
    expect(closes.server).toEqual([])
  })

  it('duplicates frames at about the configured rate, each copy right after its original', async () => {
    const { clock, net, client, atServer } = await connectPair()
    net.faults({ duplicate: 0.1, delayMs: [0, 5] })
    sendAll(client, 1000)
    await clock.advance(5)
    const { duplicated, delivered } = net.stats
    expect(duplicated, seedNote).toBeGreaterThan(50)
    expect(duplicated, seedNote).toBeLessThan(150)
    expect(delivered).toBe(1000 + duplicated)
    expect([...new Set(atServer)]).toEqual(range(1000))
    expect(atServer.every((value, i) => i === 0 || value >= atServer[i - 1]!)).toBe(true)
    expect(client.bufferedAmount).toBe(0)
  })

  it('reorders frames at about the configured rate, each held back behind the next one', async () => {
    const { clock, net, client, atServer } = await connectPair()
    net.faults({ reorder: 0.1 })
    sendAll(client, 1000)
    net.clearFaults()
    client.send(frame(1000)) // releases a frame still held back
    await clock.advance(0)
    const { reordered } = net.stats
    expect(reordered, seedNote).toBeGreaterThan(50)
    expect(reordered, seedNote).toBeLessThan(150)
    const descents = atServer.filter((value, i) => i > 0 && value < atServer[i - 1]!)
    expect(descents.length).toBe(reordered)
    expect([...atServer].sort((a, b) => a - b)).toEqual(range(1001))
  })

  it('replays exactly with the same seed', async () => {
    const run = async (seed: number) => {
      const { clock, net, client, atServer } = await connectPair({ seed })
      net.faults({ drop: 0.1, duplicate: 0.1, reorder: 0.1, delayMs: [0, 30] })
      sendAll(client, 500)
      await clock.advance(30)
      return { atServer, stats: net.stats }
    }
    const first = await run(SEED)
    expect(await run(SEED), seedNote).toEqual(first)
    expect((await run(SEED + 1)).atServer).not.toEqual(first.atServer)
  })
})

describe('memory network: partitions, cuts, crashes, stalls', () => {
  it('partition: frames vanish both ways, connects fail, the connection stays open; heal undoes it', async () => {
    const { clock, net, client, server, atServer, atClient, closes } = await connectPair()
    net.faults({ delayMs: [10, 10] })
    client.send(frame(1)) // in flight when the cable is pulled
    net.partition('server', 'client')
    client.send(frame(2))
    server.send(frame(3))
    await clock.advance(20)
    expect([atServer, atClient]).toEqual([[], []])
    expect(net.stats.dropped).toBe(3)
    expect(client.bufferedAmount).toBe(0)
    await expect(net.transport('client').connect('mem://server')).rejects.toThrow('partitioned from client')
    net.heal('client', 'server')
    client.send(frame(4))
    server.send(frame(5))
    await clock.advance(20)
    expect([atServer, atClient]).toEqual([[4], [5]])
    expect(closes).toEqual({ client: [], server: [] })
    await expect(net.transport('client').connect('mem://server')).resolves.toBeDefined()
  })

  it('cut: both ends close once with 1006, connects fail until heal()', async () => {
    const { clock, net, client, closes } = await connectPair()
    net.cut('client', 'server')
    net.cut('client', 'server')
    await clock.advance(0)
    expect(closes.client).toEqual([[1006, 'cut']])
    expect(closes.server).toEqual([[1006, 'cut']])
    client.send(frame(1)) // ignored: the connection is closed
    expect(net.stats.sent).toBe(0)
    await expect(net.transport('server').connect('mem://client')).rejects.toThrow('cut from server')
    net.heal()
    await expect(net.transport('client').connect('mem://server')).resolves.toBeDefined()
  })

  it('kill: connections close with 1006, the listener goes away, a restart may listen again', async () => {
    const { clock, net, closes } = await connectPair()
    await expect(net.transport('server').listen!(() => {})).rejects.toThrow('already bound')
    net.kill('server')
    net.kill('server')
    await clock.advance(0)
    expect(closes.client).toEqual([[1006, 'killed']])
    expect(closes.server).toEqual([[1006, 'killed']])
    await expect(net.transport('client').connect('mem://server')).rejects.toThrow('no listener')
    const accepted: string[] = []
    const restarted = await net.transport('server').listen!((_, info) => accepted.push(info.remote))
    await net.transport('client').connect('mem://server')
    expect(accepted).toEqual(['mem://client'])
    await restarted.close()
    await expect(net.transport('client').connect('mem://server')).rejects.toThrow('no listener')
  })

  it('a stale listener’s close does not unbind a restarted one', async () => {
    const net = createMemoryNetwork({ clock: createTestClock() })
    const first = await net.transport('s').listen!(() => {})
    net.kill('s')
    await net.transport('s').listen!(() => {})
    await first.close()
    await expect(net.transport('c').connect('mem://s')).resolves.toBeDefined()
  })

  it('pause holds frames in flight (bufferedAmount grows) until resume delivers them in order', async () => {
    const { clock, net, client, server, atServer, atClient } = await connectPair()
    net.pause('server')
    sendAll(client, 10)
    server.send(frame(99)) // a paused node still writes
    await clock.advance(100)
    expect(atServer).toEqual([])
    expect(atClient).toEqual([99])
    expect(client.bufferedAmount).toBe(20)
    net.resume('server')
    expect(atServer).toEqual([]) // resume delivers later, not inside the call
    await clock.advance(0)
    expect(atServer).toEqual(range(10))
    expect(client.bufferedAmount).toBe(0)
  })
})

describe('createRandom', () => {
  it('is deterministic per seed and stays in range', () => {
    const a = createRandom(SEED)
    const b = createRandom(SEED)
    const draws = range(1000).map(() => a.next())
    expect(range(1000).map(() => b.next())).toEqual(draws)
    expect(draws.every((x) => x >= 0 && x < 1)).toBe(true)
    const ints = range(1000).map(() => a.int(6))
    expect(new Set(ints)).toEqual(new Set(range(6)))
    expect(range(100).some(() => a.chance(0))).toBe(false)
    expect(range(100).every(() => a.chance(1))).toBe(true)
    expect(() => a.int(0)).toThrow('positive integer')
  })
})
