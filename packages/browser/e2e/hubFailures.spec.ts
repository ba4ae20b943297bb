import { expect, memberStatuses, memberView, SLOW, test } from './support/fixtures.js'
import {
  expectDelivered,
  expectDeliveredAtLeastOnce,
  expectDeliveredOnce,
  sendAll,
  stream,
} from './support/streams.js'

/** Longer than any outage here: what is sent meanwhile must wait, not expire. */
const TTL = { ttlMs: 30_000 }

test.describe('tabs whose hub dies', () => {
  test('a hub SIGKILLed and restarted on its port: its tabs reconnect by themselves, and tab→tab messages sent while it was down arrive once, in order', async ({
    cluster,
  }) => {
    const hub = await cluster.hub('hub1')
    const a = await cluster.tab('tabA', [hub.url])
    const b = await cluster.tab('tabB', [hub.url])
    for (const tab of [a, b]) await expect.poll(() => tab.state(), SLOW).toBe('online')
    await expect.poll(() => memberStatuses(hub), SLOW).toEqual(['hub1:up', 'tabA:up', 'tabB:up'])
    const streams = [stream(a, b), stream(b, a)]
    await sendAll(streams, 0, 50)
    await expectDelivered(streams, 50)

    await hub.kill('SIGKILL')
    for (const tab of [a, b]) await expect.poll(() => tab.state(), SLOW).not.toBe('online')
    await sendAll(streams, 50, 100, TTL) // through a hub that is down
    const restarted = await cluster.hub('hub1', { port: hub.port })
    for (const tab of [a, b]) await expect.poll(() => tab.state(), SLOW).toBe('online')
    await expect.poll(() => memberStatuses(restarted), SLOW).toEqual(['hub1:up', 'tabA:up', 'tabB:up'])
    await sendAll(streams, 150, 50, TTL)

    await expectDeliveredOnce(streams, 200)
    for (const tab of [a, b]) expect(await tab.deadLetters()).toEqual([])
    expect(restarted.events.filter((e) => e.event === 'deadletter')).toEqual([])
  })

  test('a tab with two seeds fails over to the other hub when its hub is SIGKILLed, and messages to it follow it there', async ({
    cluster,
  }) => {
    const hub1 = await cluster.hub('hub1')
    const hub2 = await cluster.hub('hub2', { seeds: [hub1.url] })
    await expect.poll(() => memberStatuses(hub2), SLOW).toEqual(['hub1:up', 'hub2:up'])
    const a = await cluster.tab('tabA', [hub1.url, hub2.url])
    const b = await cluster.tab('tabB', [hub2.url])
    for (const tab of [a, b]) await expect.poll(() => tab.state(), SLOW).toBe('online')
    await expect.poll(() => memberView(hub2, 'tabA'), SLOW).toBe('up via hub1')
    await expect.poll(() => memberView(hub2, 'tabB'), SLOW).toBe('up via hub2')
    const streams = [stream(b, a), stream(a, b)]
    await sendAll(streams, 0, 50)
    await expectDelivered(streams, 50)

    await hub1.kill('SIGKILL')
    await sendAll(streams, 50, 50, TTL) // while tabA is between hubs
    await expect.poll(() => memberView(hub2, 'tabA'), SLOW).toBe('up via hub2')
    await expect.poll(() => a.state(), SLOW).toBe('online')
    await sendAll(streams, 100, 50, TTL) // once it is on hub2

    // at-least-once by design: hubs move what they had queued for a client that moved (docs/api.md)
    const duplicates = await expectDeliveredAtLeastOnce(streams, 150, 40_000)
    test
      .info()
      .annotations.push({ type: 'duplicates after failover', description: JSON.stringify(duplicates) })
    for (const tab of [a, b]) expect(await tab.deadLetters()).toEqual([])
    expect(hub2.events.filter((e) => e.event === 'deadletter')).toEqual([])
  })
})
