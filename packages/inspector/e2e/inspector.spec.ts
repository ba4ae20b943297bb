// <troupe-inspector> in real Chromium: a tab's node and its hub (through troupe.inspector@hub), live.
import { expect, test } from './support/fixtures.js'

const SLOW = { timeout: 20_000 }

test.describe('<troupe-inspector>', () => {
  test('shows the tab and its hub live: members, links, rates and dead letters', async ({ inspector }) => {
    const hub = await inspector.hub()
    const a = await inspector.tab('tab-a', hub)
    const b = await inspector.tab('tab-b', hub)
    const self = a.page.getByTestId('inspector-self')
    const ofHub = a.page.getByTestId('inspector-hub')

    await expect(self.locator('tr[data-member="tab-a"][data-role="client"][data-status="up"]')).toBeVisible()
    await expect(self.locator('tr[data-member="hub"][data-role="hub"][data-status="up"]')).toBeVisible()
    await expect(self.locator('tr[data-link="hub"]')).toHaveAttribute('data-connected', 'true')
    await expect(self.locator('header h3')).toContainText('tab-a')

    // the hub's own view, asked from the tab: every tab, with its link
    await expect(ofHub.locator('.note')).toHaveText('as the hub sees it', SLOW)
    for (const tab of [a, b]) {
      await expect(
        ofHub.locator(`tr[data-member="${tab.id}"][data-role="client"][data-status="up"]`),
      ).toBeVisible()
      await expect(ofHub.locator(`tr[data-link="${tab.id}"]`)).toHaveAttribute('data-connected', 'true')
    }
    await expect(ofHub.locator('[data-stat="clients"] b')).toHaveText('2')
    // rates come from two readings: the tabs' asks reach the hub every 250 ms each
    await expect
      .poll(async () => Number(await ofHub.locator('[data-stat="in / s"] b').textContent()), SLOW)
      .toBeGreaterThan(0)

    // a message to nobody: a dead letter on the hub (where it died) and on the tab (its sender)
    await a.page.evaluate(() =>
      (globalThis as unknown as { tab: { send(to: string, m: unknown): void } }).tab.send(
        'nobody@hub',
        'hello?',
      ),
    )
    for (const pane of [self, ofHub]) {
      await expect(pane.locator('.chip[data-reason="no-such-actor"] b')).toHaveText('1', SLOW)
      await expect(
        pane.getByTestId('recent-dead-letters').locator('li[data-reason="no-such-actor"]'),
      ).toContainText('nobody@hub')
    }
    // every figure of metrics(), present and future, is listed
    await ofHub.locator('summary').click()
    await expect(ofHub.locator('tr[data-figure="relayed"]')).toBeVisible()

    // b leaves: the hub stops listing it as up
    await b.page.context().close()
    const row = ofHub.locator('tr[data-member="tab-b"]')
    await expect
      .poll(async () => ((await row.count()) === 0 ? 'gone' : await row.getAttribute('data-status')), SLOW)
      .not.toBe('up')
    expect(a.errors).toEqual([])
  })

  test("bounds the hub's rows to its limit, always with the asking tab", async ({ inspector }) => {
    const hub = await inspector.hub()
    const others = [
      await inspector.tab('tab-1', hub),
      await inspector.tab('tab-2', hub),
      await inspector.tab('tab-3', hub),
    ]
    const tab = await inspector.tab('tab-z', hub, { limit: '1' })
    const ofHub = tab.page.getByTestId('inspector-hub')
    // the hub and the asking tab, whatever the limit, then one more; the rest counted
    await expect(ofHub.getByTestId('members').locator('tbody tr[data-member]')).toHaveCount(3, SLOW)
    await expect(ofHub.locator('tr[data-member="hub"]')).toBeVisible()
    await expect(ofHub.locator('tr[data-member="tab-z"]')).toBeVisible()
    await expect(ofHub.getByTestId('members')).toContainText('and 2 more members')
    await expect(ofHub.locator('.counts')).toContainText('4 client up')
    expect(others.length).toBe(3)
  })

  test('says when the hub cannot be asked, greys out its last figures, and comes back with the hub', async ({
    inspector,
  }) => {
    const hub = await inspector.hub()
    const tab = await inspector.tab('tab-a', hub)
    const ofHub = tab.page.getByTestId('inspector-hub')
    await expect(ofHub.locator('.note')).toHaveText('as the hub sees it', SLOW)

    await hub.kill()
    await expect(ofHub.locator('.note')).not.toHaveText('as the hub sees it', SLOW)
    await expect(ofHub.locator('.body')).toHaveClass(/stale/)
    await expect(ofHub.locator('tr[data-member="tab-a"]')).toBeVisible() // the last figures stay
    await expect(tab.page.getByTestId('inspector-self').locator('tr[data-link="hub"]')).toHaveAttribute(
      'data-connected',
      'false',
      SLOW,
    )

    await hub.restart()
    await expect(ofHub.locator('.note')).toHaveText('as the hub sees it', { timeout: 30_000 })
    await expect(ofHub.locator('.body')).not.toHaveClass(/stale/)
  })
})
