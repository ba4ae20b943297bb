import { sleep } from '@troupe/test-support'
import { expect, memberStatuses, SLOW, test } from './support/fixtures.js'
import type { Hub } from './support/hubs.js'

const eventsAbout = (hub: Hub, id: string) =>
  hub.events
    .filter((e) => e.id === id && (e.event === 'member-left' || e.event === 'member-down'))
    .map((e) => e.event)

/** Long enough for a failure detector (downAfterMs 1,500) to have spoken if it were going to. */
const SETTLE_MS = 3_000

test.describe('a tab joining and leaving the cluster', () => {
  test("a 'connection' listener added right after createNode sees the tab go 'online'", async ({
    cluster,
  }) => {
    const hub = await cluster.hub('hub1')
    const a = await cluster.tab('tabA', [hub.url])
    await expect.poll(() => memberStatuses(hub), SLOW).toEqual(['hub1:up', 'tabA:up'])
    await expect.poll(() => a.state(), SLOW).toBe('online')
    // like member events, what happened while createNode ran must reach a listener added right after it
    await expect.poll(() => a.call('states'), SLOW).toEqual(['online'])
  })

  test('a tab that calls close() is member-left on its hub, not member-down, and the hub forgets it', async ({
    cluster,
  }) => {
    const hub = await cluster.hub('hub1')
    const a = await cluster.tab('tabA', [hub.url])
    await expect.poll(() => memberStatuses(hub), SLOW).toEqual(['hub1:up', 'tabA:up'])

    await a.call('close')
    await expect.poll(() => eventsAbout(hub, 'tabA'), SLOW).toEqual(['member-left'])
    await sleep(SETTLE_MS)
    expect(eventsAbout(hub, 'tabA')).toEqual(['member-left'])
    // a client that said goodbye is over: its row (and everything else the hub kept for it) is freed
    expect(await memberStatuses(hub)).toEqual(['hub1:up'])
  })

  test('a tab whose page is closed without close() (a crash, as far as the cluster can tell) is member-down on its hub, not member-left', async ({
    cluster,
  }) => {
    const hub = await cluster.hub('hub1')
    const a = await cluster.tab('tabA', [hub.url])
    await expect.poll(() => memberStatuses(hub), SLOW).toEqual(['hub1:up', 'tabA:up'])

    await a.page.close()
    await expect.poll(() => eventsAbout(hub, 'tabA'), SLOW).toEqual(['member-down'])
    await sleep(SETTLE_MS)
    expect(eventsAbout(hub, 'tabA')).toEqual(['member-down'])
    expect(await memberStatuses(hub)).toEqual(['hub1:up', 'tabA:down'])
  })
})
