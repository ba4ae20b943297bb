import { reservePorts } from '@troupe/test-support'
import { expect, memberStatuses, SLOW, test } from './support/fixtures.js'
import { expectDelivered, expectDeliveredOnce, sendAll, stream } from './support/streams.js'

// numbered messages: BEFORE before the fault, DURING while it lasts, AFTER once it has healed
const BEFORE = 50
const DURING = 100
const AFTER = 50
const TOTAL = BEFORE + DURING + AFTER
/** Long enough for the fault; the messages sent meanwhile must not expire. */
const TTL = { ttlMs: 30_000 }

test.describe('a tab that loses its link for a while', () => {
  test('cut by a TCP proxy: messages to it and from it meanwhile arrive exactly once, in order', async ({
    cluster,
  }) => {
    // the port is held while the proxy listens on port 0, so the proxy cannot be handed it
    const reserved = await reservePorts(1)
    const port = reserved.ports[0]!
    const proxy = await cluster.proxy(port)
    await reserved.release()
    // the hub advertises the proxy, so tabA can only ever reach it through the proxy
    const hub = await cluster.hub('hub1', { port, advertiseUrl: proxy.url() })
    const a = await cluster.tab('tabA', [proxy.url()])
    const b = await cluster.tab('tabB', [`ws://127.0.0.1:${port}`])
    for (const tab of [a, b]) await expect.poll(() => tab.state(), SLOW).toBe('online')
    await expect.poll(() => memberStatuses(hub), SLOW).toEqual(['hub1:up', 'tabA:up', 'tabB:up'])
    const streams = [stream(hub, a), stream(b, a), stream(a, b), stream(a, hub)]

    await sendAll(streams, 0, BEFORE)
    await expectDelivered(streams, BEFORE)
    const statesBefore = (await a.call('states')).length

    proxy.cut()
    await expect.poll(() => a.state(), SLOW).not.toBe('online')
    await sendAll(streams, BEFORE, DURING, TTL)
    // the fault lasts until the hub's failure detector has declared the tab down
    await expect.poll(() => memberStatuses(hub), SLOW).toContain('tabA:down')
    proxy.restore()
    await expect.poll(() => a.state(), SLOW).toBe('online')
    await sendAll(streams, BEFORE + DURING, AFTER, TTL)

    await expectDeliveredOnce(streams, TOTAL)
    const states = (await a.call('states')).slice(statesBefore)
    expect(states[0], `connection states after the cut: ${states}`).not.toBe('online')
    expect(states.at(-1)).toBe('online')
    for (const tab of [a, b]) expect(await tab.deadLetters()).toEqual([])
    expect(hub.events.filter((e) => e.event === 'deadletter')).toEqual([])
  })

  test('the browser offline: the tab goes offline and back online, and messages to it and from it meanwhile arrive exactly once, in order', async ({
    cluster,
  }) => {
    const hub = await cluster.hub('hub1')
    const a = await cluster.tab('tabA', [hub.url])
    const b = await cluster.tab('tabB', [hub.url])
    for (const tab of [a, b]) await expect.poll(() => tab.state(), SLOW).toBe('online')
    await expect.poll(() => memberStatuses(hub), SLOW).toEqual(['hub1:up', 'tabA:up', 'tabB:up'])
    const streams = [stream(hub, a), stream(b, a), stream(a, b), stream(a, hub)]

    await sendAll(streams, 0, BEFORE)
    await expectDelivered(streams, BEFORE)
    const statesBefore = (await a.call('states')).length

    await a.context.setOffline(true)
    await expect.poll(() => a.state(), SLOW).toBe('offline')
    await sendAll(streams, BEFORE, DURING, TTL)
    // the fault lasts until the hub's failure detector has declared the tab down
    await expect.poll(() => memberStatuses(hub), SLOW).toContain('tabA:down')
    await a.context.setOffline(false)
    await expect.poll(() => a.state(), SLOW).toBe('online')
    await sendAll(streams, BEFORE + DURING, AFTER, TTL)

    await expectDeliveredOnce(streams, TOTAL)
    const states = (await a.call('states')).slice(statesBefore)
    expect(states[0], `connection states after going offline: ${states}`).toBe('offline')
    expect(states.at(-1)).toBe('online')
    for (const tab of [a, b]) expect(await tab.deadLetters()).toEqual([])
    expect(hub.events.filter((e) => e.event === 'deadletter')).toEqual([])
  })
})
