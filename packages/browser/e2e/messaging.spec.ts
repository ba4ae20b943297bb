import { expect, memberStatuses, range, SLOW, type Tab, test } from './support/fixtures.js'
import type { Hub } from './support/hubs.js'

const N = 100

async function online(...tabs: Tab[]): Promise<void> {
  for (const tab of tabs) await expect.poll(() => tab.state(), SLOW).toBe('online')
}

const deadLettersOf = (hub: Hub) => hub.events.filter((e) => e.event === 'deadletter')

test.describe('browser tabs as cluster peers', () => {
  test('two tabs and a hub exchange messages in every direction, by send and by ask', async ({ cluster }) => {
    const hub = await cluster.hub('hub1')
    const a = await cluster.tab('tabA', [hub.url])
    const b = await cluster.tab('tabB', [hub.url])
    await online(a, b)
    await expect.poll(() => memberStatuses(hub), SLOW).toEqual(['hub1:up', 'tabA:up', 'tabB:up'])

    // send: hub→tab, tab→hub, tab→tab
    await hub.sendNumbered('log@tabA', 0, N)
    await hub.sendNumbered('log@tabB', 0, N)
    expect(await a.call('sendNumbered', 'log@hub1', 0, N)).toBe(N)
    expect(await b.call('sendNumbered', 'log@hub1', 0, N)).toBe(N)
    expect(await a.call('sendNumbered', 'log@tabB', 0, N)).toBe(N)
    expect(await b.call('sendNumbered', 'log@tabA', 0, N)).toBe(N)
    await expect.poll(() => a.numbersFrom('hub1'), SLOW).toEqual(range(N))
    await expect.poll(() => b.numbersFrom('hub1'), SLOW).toEqual(range(N))
    await expect.poll(() => a.numbersFrom('tabB'), SLOW).toEqual(range(N))
    await expect.poll(() => b.numbersFrom('tabA'), SLOW).toEqual(range(N))
    const atHub = (from: string) => hub.numbersFrom(from)
    await expect.poll(() => atHub('tabA'), SLOW).toEqual(range(N))
    await expect.poll(() => atHub('tabB'), SLOW).toEqual(range(N))

    // ask: tab→tab both ways, tab→hub, hub→tab
    expect(await a.call('ask', 'echo@tabB', { q: 'a to b' }, { timeoutMs: 5_000 })).toEqual({
      ok: true,
      value: { q: 'a to b' },
    })
    expect(await b.call('ask', 'echo@tabA', [1, 'b to a'], { timeoutMs: 5_000 })).toEqual({
      ok: true,
      value: [1, 'b to a'],
    })
    expect(await a.call('ask', 'echo@hub1', 'a to hub', { timeoutMs: 5_000 })).toEqual({
      ok: true,
      value: 'a to hub',
    })
    expect(await hub.ask('echo@tabB', { q: 'hub to b' }, { timeoutMs: 5_000 })).toEqual({
      ok: true,
      value: { q: 'hub to b' },
    })

    expect(await a.deadLetters()).toEqual([])
    expect(await b.deadLetters()).toEqual([])
    expect(deadLettersOf(hub)).toEqual([])
  })

  test('three tabs on two hubs message each other across the hubs', async ({ cluster }) => {
    const hub1 = await cluster.hub('hub1')
    const hub2 = await cluster.hub('hub2', { seeds: [hub1.url] })
    await expect.poll(() => memberStatuses(hub1), SLOW).toEqual(['hub1:up', 'hub2:up'])
    const a = await cluster.tab('tabA', [hub1.url])
    const b = await cluster.tab('tabB', [hub2.url])
    const c = await cluster.tab('tabC', [hub2.url])
    await online(a, b, c)
    const everyone = ['hub1:up', 'hub2:up', 'tabA:up', 'tabB:up', 'tabC:up']
    await expect.poll(() => memberStatuses(hub1), SLOW).toEqual(everyone)
    await expect.poll(() => memberStatuses(hub2), SLOW).toEqual(everyone)

    const tabs = { tabA: a, tabB: b, tabC: c }
    const pairs = [
      ['tabA', 'tabB'],
      ['tabA', 'tabC'],
      ['tabB', 'tabA'],
      ['tabC', 'tabA'],
      ['tabB', 'tabC'],
      ['tabC', 'tabB'],
    ] as const
    for (const [from, to] of pairs) expect(await tabs[from].call('sendNumbered', `log@${to}`, 0, N)).toBe(N)
    for (const [from, to] of pairs) {
      await expect
        .poll(() => tabs[to].numbersFrom(from), { ...SLOW, message: `${from} → ${to}` })
        .toEqual(range(N))
    }

    expect(await a.call('ask', 'echo@tabC', 'a to c', { timeoutMs: 5_000 })).toEqual({
      ok: true,
      value: 'a to c',
    })
    expect(await c.call('ask', 'echo@tabA', 'c to a', { timeoutMs: 5_000 })).toEqual({
      ok: true,
      value: 'c to a',
    })
    expect(await b.call('ask', 'echo@tabA', 'b to a', { timeoutMs: 5_000 })).toEqual({
      ok: true,
      value: 'b to a',
    })
    expect(await hub1.ask('echo@tabB', 'hub1 to b', { timeoutMs: 5_000 })).toEqual({
      ok: true,
      value: 'hub1 to b',
    })

    for (const tab of [a, b, c]) expect(await tab.deadLetters()).toEqual([])
    expect([...deadLettersOf(hub1), ...deadLettersOf(hub2)]).toEqual([])
  })

  test('a message to a missing actor on a tab comes back to the sending tab and hub as a no-such-actor dead letter', async ({
    cluster,
  }) => {
    const hub = await cluster.hub('hub1')
    const a = await cluster.tab('tabA', [hub.url])
    const b = await cluster.tab('tabB', [hub.url])
    await online(a, b)
    await expect.poll(() => memberStatuses(hub), SLOW).toEqual(['hub1:up', 'tabA:up', 'tabB:up'])

    expect(await a.call('send', 'missing@tabB', { n: 1 })).toBe(true)
    await expect
      .poll(() => a.deadLetters(), SLOW)
      .toEqual([{ to: 'missing@tabB', from: undefined, reason: 'no-such-actor', message: { n: 1 } }])
    // emitted where it died, too
    await expect
      .poll(() => b.deadLetters(), SLOW)
      .toContainEqual(expect.objectContaining({ to: 'missing@tabB', reason: 'no-such-actor' }))

    await hub.sendNumbered('missing@tabB', 0, 1)
    await expect
      .poll(() => deadLettersOf(hub), SLOW)
      .toEqual([expect.objectContaining({ to: 'missing@tabB', reason: 'no-such-actor' })])

    // an ask fails at once, with the reason, rather than timing out
    expect(await a.call('ask', 'missing@tabB', 'anyone?', { timeoutMs: 20_000 })).toEqual(
      expect.objectContaining({ ok: false, code: 'NO_SUCH_ACTOR', reason: 'no-such-actor' }),
    )
    expect(await hub.ask('missing@tabA', 'anyone?', { timeoutMs: 20_000 })).toEqual(
      expect.objectContaining({ ok: false, code: 'NO_SUCH_ACTOR', reason: 'no-such-actor' }),
    )
    expect(await b.call('ask', 'missing@hub1', 'anyone?', { timeoutMs: 20_000 })).toEqual(
      expect.objectContaining({ ok: false, code: 'NO_SUCH_ACTOR', reason: 'no-such-actor' }),
    )
  })
})
