import { type Envelope, FrameCodec, PROTOCOL_VERSION, type SequencedEnvelope } from '@troupe/core'
import { afterEach, describe, expect, it } from 'vitest'
import { type MemoryCluster, memoryCluster } from './harness.js'

let cluster: MemoryCluster
afterEach(() => cluster?.closeAll())

const codec = new FrameCodec()

/** A hand-driven client: says hello with whatever it is told, records what it gets, acks when told. */
async function rawClient(hubIncarnation: () => number) {
  const got: number[] = []
  let connection: Awaited<ReturnType<ReturnType<MemoryCluster['net']['transport']>['connect']>> | undefined
  const dial = async (received: number) => {
    connection = await cluster.net.transport('raw').connect('mem://hub')
    connection.onMessage = (bytes) => {
      for (const envelope of codec.decode(bytes)) {
        if (envelope.type === 'message') got.push((envelope as SequencedEnvelope).seq)
      }
    }
    const hello: Envelope = {
      type: 'hello',
      version: PROTOCOL_VERSION,
      from: 'raw',
      incarnation: 1,
      role: 'client',
      received,
      peerIncarnation: received === 0 ? 0 : hubIncarnation(),
      token: undefined,
      url: undefined,
    }
    connection.send(codec.encode([hello]))
  }
  return {
    got,
    dial,
    ack: (seq: number) => connection?.send(codec.encode([{ type: 'ack', seq }])),
    close: () => connection?.close(1000, 'bye'),
  }
}

describe('resuming a link', () => {
  it('never numbers queued messages below what the peer acknowledged, whatever a stale hello says', async () => {
    cluster = memoryCluster()
    const hub = await cluster.start('hub', [], { link: { ackDelayMs: 1 } })
    const incarnation = hub.members()[0]!.incarnation
    const raw = await rawClient(() => incarnation)
    await raw.dial(0)
    await cluster.run(50)
    for (let i = 1; i <= 10; i++) hub.send(`x@raw`, i)
    await cluster.run(50)
    raw.ack(10)
    await cluster.run(50)
    raw.close()
    await cluster.run(50)
    for (let i = 11; i <= 15; i++) hub.send(`x@raw`, i) // queued while the client is away: 11..15
    // a hello that crossed an ack: it claims only 5 of what the hub knows the client has (10)
    await raw.dial(5)
    await cluster.run(50)
    raw.close()
    await cluster.run(50)
    raw.got.length = 0
    await raw.dial(10)
    await cluster.run(50)
    expect(raw.got).toEqual([11, 12, 13, 14, 15])
  })
})
