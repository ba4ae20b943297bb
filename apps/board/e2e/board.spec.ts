import { join } from 'node:path'
import { everywhere, madeByAll, online, savedBoard, withText } from './support/boardChecks.js'
import { expect, type NoteInfo, SLOW, sideBySide, type Tab, test } from './support/fixtures.js'
import { APP_DIR } from './support/paths.js'

type TroupeGlobal = { troupe: { node: import('@troupe/browser').Node } }

/** The status of member `id` in the tab's own member table (undefined: not in it). */
const statusOf = (tab: Tab, id: string): Promise<string | undefined> =>
  tab.page.evaluate(
    (member) =>
      (globalThis as unknown as TroupeGlobal).troupe.node.members().find((m) => m.id === member)?.status,
    id,
  )

/** The tab's asks waiting for an answer (its own figure, from `node.metrics()`). */
const pendingAsks = (tab: Tab): Promise<number> =>
  tab.page.evaluate(() => (globalThis as unknown as TroupeGlobal).troupe.node.metrics().pendingAsks)

test.describe('the board', () => {
  test('a note added, edited, moved and deleted in one tab appears in the others', async ({
    board,
    browser,
  }, testInfo) => {
    // the tabs on two hubs: A and the phone dial h1 first, B dials h2 first
    const [h1, h2] = await board.hubs(2)
    const a = await board.tab({ hub: [h1!.url, h2!.url] })
    const b = await board.tab({ hub: [h2!.url, h1!.url] })
    const phone = await board.tab({ hub: [h1!.url, h2!.url], phone: true })
    await online(a, b, phone)
    const all = [a, b, phone]

    const id = await a.addNote('Hello from A', { x: 90, y: 120 })
    const [added] = await a.notes()
    expect(added).toMatchObject({ id, text: 'Hello from A' })
    await everywhere(all, [added as NoteInfo])

    await a.editNote(id, 'Edited in A')
    await everywhere(all, await a.notes())
    expect((await b.notes())[0]?.text).toBe('Edited in A')

    await a.moveNote(id, 150, 90)
    const [moved] = await a.notes()
    expect(moved?.x).toBeGreaterThan((added?.x ?? 0) + 100)
    expect(moved?.y).toBeGreaterThan((added?.y ?? 0) + 50)
    await everywhere(all, [moved as NoteInfo])

    // a finger on a phone-sized tab: touch events, seen by the page as pointer events
    await phone.touchMoveNote(id, -60, 110)
    await expect.poll(async () => (await phone.notes())[0]?.y, SLOW).toBeGreaterThan((moved?.y ?? 0) + 50)
    await everywhere(all, await phone.notes())

    const fromB = await b.addNote('And one from B', { x: 380, y: 380 })
    await everywhere(all, await b.notes())
    expect((await a.notes()).map((n) => n.id).sort()).toEqual([id, fromB].sort())
    await sideBySide(browser, [a, b], testInfo.outputPath('two-tabs-notes.png'))

    await a.deleteNote(id)
    await everywhere(
      all,
      (await b.notes()).filter((n) => n.id !== id),
    )
    expect((await phone.notes()).map((n) => n.id)).toEqual([fromB])
    await sideBySide(browser, [a, phone], testInfo.outputPath('tab-and-phone.png'))
  })

  test('the cursor of one tab appears in another, with its name, and goes when the tab goes', async ({
    board,
    browser,
  }, testInfo) => {
    // on two hubs: the cursors go through both
    const [h1, h2] = await board.hubs(2)
    const a = await board.tab({ hub: [h1!.url, h2!.url], identity: { name: 'Sunny Otter', color: 'amber' } })
    const b = await board.tab({ hub: [h2!.url, h1!.url], identity: { name: 'Brave Heron', color: 'sky' } })
    await online(a, b)
    expect([a.name, b.name]).toEqual(['Sunny Otter', 'Brave Heron'])
    // notes for the picture
    await a.addNote('Plan the launch: invite the whole team', { x: 150, y: 110 })
    const fromB = await b.addNote('Cursors go to every tab of the presence group', { x: 400, y: 230 })
    await a.addNote('Kill a hub: the board moves to the other one', { x: 170, y: 400 })
    await a.editNote(fromB, 'Cursors go to every tab of the presence group, through both hubs')
    await everywhere([a, b], await a.notes())

    const boardOfA = await a.page.getByTestId('board').boundingBox()
    const boardOfB = await b.page.getByTestId('board').boundingBox()
    if (boardOfA === null || boardOfB === null) throw new Error('no board on the page')
    await a.page.mouse.move(boardOfA.x + 300, boardOfA.y + 300)
    await a.page.mouse.move(boardOfA.x + 470, boardOfA.y + 380, { steps: 8 })
    const cursorOfA = b.page.locator(`[data-testid="cursor"][data-peer="${a.id}"]`)
    await expect(cursorOfA).not.toHaveClass(/hidden/, SLOW)
    await expect(cursorOfA).toHaveAttribute('data-x', '470', SLOW)
    await expect(cursorOfA).toHaveAttribute('data-y', '380', SLOW)
    await expect(cursorOfA.locator('.cursor-name')).toHaveText(a.name)

    await b.page.mouse.move(boardOfB.x + 200, boardOfB.y + 200)
    await b.page.mouse.move(boardOfB.x + 330, boardOfB.y + 600, { steps: 8 })
    const cursorOfB = a.page.locator(`[data-testid="cursor"][data-peer="${b.id}"]`)
    await expect(cursorOfB).toHaveAttribute('data-y', '600', SLOW)
    await expect(cursorOfB).not.toHaveClass(/hidden/)
    await expect(cursorOfB.locator('.cursor-name')).toHaveText(b.name)
    // the other tab shows in the top bar too
    await expect(a.page.locator(`[data-testid="peers"] [data-peer="${b.id}"]`)).toBeVisible()

    const picture = await sideBySide(browser, [a, b], testInfo.outputPath('two-tabs-cursors.png'))
    await testInfo.attach('two-tabs-cursors', { body: picture, contentType: 'image/png' })
    await sideBySide(browser, [a, b], join(APP_DIR, 'test-results', 'side-by-side.png'))

    // A closes: B drops its cursor (A leaves the cluster, or is found down)
    await a.context.close()
    await expect(cursorOfA).toHaveCount(0, SLOW)
    await expect(b.page.locator(`[data-testid="peers"] [data-peer="${a.id}"]`)).toHaveCount(0)
  })

  test('the only hub is killed and restarted: the tabs reconnect by themselves and the board is intact', async ({
    board,
  }) => {
    // one hub: while it is down, nothing hosts the board
    const hub = await board.hub()
    const a = await board.tab({ hub: hub.url })
    const b = await board.tab({ hub: hub.url })
    await online(a, b)
    const first = await a.addNote('Survives a crash', { x: 80, y: 90 })
    const second = await b.addNote('So does this one', { x: 360, y: 160 })
    await expect.poll(async () => (await a.notes()).length, SLOW).toBe(2)
    await a.moveNote(second, 20, 180)
    await b.editNote(first, 'Survives a crash (edited in B)')
    await expect
      .poll(async () => (await a.notes()).find((n) => n.id === first)?.text, SLOW)
      .toContain('edited in B')
    const before = await a.notes()
    await everywhere([b], before)
    // every edit answered by the board, so saved: what the restarted hub will find
    for (const tab of [a, b]) await expect.poll(async () => (await tab.boardFigures()).waiting, SLOW).toBe(0)

    await hub.kill('SIGKILL')
    await expect.poll(() => a.state(), SLOW).not.toBe('online')
    await expect.poll(() => b.state(), SLOW).not.toBe('online')
    // made while the hub is down: shown at once, and waiting for the board
    await a.editNote(second, 'Edited while the hub was down')
    const whileDown = withText(before, second, 'Edited while the hub was down')
    expect(await a.notes()).toEqual(whileDown)
    await expect(a.page.getByTestId('waiting')).not.toHaveAttribute('data-count', '0')
    // made once B has found the hub down: no hub hosts the board then, and B is linked to no hub, so
    // the runtime keeps the ask waiting for one (rather than finding no host); it goes once a hub is back
    await expect.poll(() => statusOf(b, hub.id), SLOW).toBe('down')
    await b.editNote(first, 'Edited once the hub was found down')
    expect(await b.notes()).toEqual(withText(before, first, 'Edited once the hub was found down'))
    const expected = withText(whileDown, first, 'Edited once the hub was found down')
    await expect.poll(() => pendingAsks(b), SLOW).toBe(1)
    await expect(b.page.getByTestId('waiting')).toHaveAttribute('data-count', '1')

    await hub.restart()
    await online(a, b)
    await everywhere([a, b], expected)
    for (const tab of [a, b]) {
      await expect(tab.page.getByTestId('waiting')).toHaveAttribute('data-count', '0', SLOW)
    }
    const c = await board.tab({ hub: hub.url })
    await everywhere([c], expected)

    // and live again
    await b.editNote(first, 'After the restart')
    const final = withText(expected, first, 'After the restart')
    await everywhere([a, b, c], final)
    // saved, each edit once: the board's revision counts every op the tabs made
    const made = await madeByAll([a, b, c])
    expect(await savedBoard(board, [hub])).toEqual({ notes: final, rev: made })
  })

  test('a tab whose link is cut keeps editing, and catches up both ways when the link is back', async ({
    board,
  }) => {
    // tab A reaches the hub only through a TCP proxy; the hub tells tabs to redial the proxy
    // the port is held while the proxy listens on port 0, so the proxy cannot be handed it
    const reserved = await board.reservePorts(1)
    const port = reserved.ports[0]!
    const proxy = await board.proxy(port)
    await reserved.release()
    const hub = await board.hub({ port, advertiseUrl: proxy.url() })
    const a = await board.tab({ hub: proxy.url() })
    const b = await board.tab({ hub: hub.url })
    await online(a, b)
    const shared = await b.addNote('Before the cut', { x: 80, y: 80 })
    await everywhere([a], await b.notes())

    proxy.cut()
    await expect.poll(() => a.state(), SLOW).toBe('connecting')
    // A edits while cut off: its own board shows the edits at once
    const fromA = await a.addNote('Written while cut off', { x: 360, y: 100 })
    await a.editNote(shared, 'Before the cut (edited by A while cut off)')
    expect((await a.notes()).map((n) => n.text).sort()).toEqual([
      'Before the cut (edited by A while cut off)',
      'Written while cut off',
    ])
    await expect(a.page.getByTestId('waiting')).not.toHaveAttribute('data-count', '0')
    // meanwhile B moves the shared note and adds one
    await b.moveNote(shared, 40, 260)
    const fromB = await b.addNote('Added by B during the cut', { x: 120, y: 520 })
    await expect.poll(async () => (await b.notes()).length).toBe(2)
    expect((await b.notes()).map((n) => n.id)).not.toContain(fromA)

    proxy.restore()
    await online(a)
    const notesOfB = await b.notes()
    const sharedInB = notesOfB.find((n) => n.id === shared)
    await expect
      .poll(async () => (await b.notes()).map((n) => n.id).sort(), SLOW)
      .toEqual([fromA, fromB, shared].sort())
    const expected = await b.notes()
    expect(expected.find((n) => n.id === shared)).toMatchObject({
      text: 'Before the cut (edited by A while cut off)',
      x: sharedInB?.x,
      y: sharedInB?.y,
    })
    await everywhere([a], expected)
    await expect(a.page.getByTestId('waiting')).toHaveAttribute('data-count', '0', SLOW)
  })

  test('a tab whose browser goes offline keeps editing, and catches up both ways when back online', async ({
    board,
  }) => {
    const hub = await board.hub()
    const a = await board.tab({ hub: hub.url })
    const b = await board.tab({ hub: hub.url })
    await online(a, b)
    const shared = await a.addNote('Shared note', { x: 100, y: 100 })
    await everywhere([b], await a.notes())

    await a.context.setOffline(true)
    await expect.poll(() => a.state(), SLOW).toBe('offline')
    await expect(a.page.getByTestId('connection')).toHaveText('Offline')
    const fromA = await a.addNote('Written offline', { x: 380, y: 140 })
    await a.moveNote(shared, 30, 240)
    const sharedInA = (await a.notes()).find((n) => n.id === shared)
    await b.editNote(shared, 'Shared note (edited by B meanwhile)')
    const fromB = await b.addNote('Added by B meanwhile', { x: 120, y: 560 })
    expect((await a.notes()).map((n) => n.id)).not.toContain(fromB)

    await a.context.setOffline(false)
    await online(a)
    const expected = [
      { id: fromA, text: 'Written offline' },
      { id: fromB, text: 'Added by B meanwhile' },
      { id: shared, text: 'Shared note (edited by B meanwhile)', x: sharedInA?.x, y: sharedInA?.y },
    ].sort((x, y) => x.id.localeCompare(y.id))
    for (const tab of [a, b]) {
      await expect
        .poll(
          async () => (await tab.notes()).map((n) => (n.id === shared ? n : { id: n.id, text: n.text })),
          SLOW,
        )
        .toEqual(expected)
    }
    await everywhere([a], await b.notes())
  })

  test('the cluster panel lists every tab and both hubs, as the tab and as its hub see it', async ({
    board,
  }, testInfo) => {
    const [h1, h2] = await board.hubs(2)
    // A and C on h1, B on h2
    const a = await board.tab({ hub: [h1!.url, h2!.url], viewport: { width: 1280, height: 800 } })
    const b = await board.tab({ hub: [h2!.url, h1!.url] })
    const c = await board.tab({ hub: [h1!.url, h2!.url], phone: true })
    await online(a, b, c)
    await a.openPanel()
    await expect(a.page.getByTestId('hub-id')).toHaveText('h1', SLOW)
    const tabs = [a, b, c]
    for (const section of ['panel-self', 'panel-hub']) {
      const panel = a.page.getByTestId(section)
      // the other tabs are in the presence group: the tab knows them too
      for (const tab of tabs) {
        await expect(
          panel.locator(`tr[data-member="${tab.id}"][data-role="client"][data-status="up"]`),
        ).toBeVisible(SLOW)
      }
      for (const hub of ['h1', 'h2']) {
        await expect(
          panel.locator(`tr[data-member="${hub}"][data-role="hub"][data-status="up"]`),
        ).toBeVisible(SLOW)
      }
    }
    // A's hub links to its own tabs and to the other hub
    for (const id of [a.id, c.id, 'h2']) {
      await expect(a.page.getByTestId('panel-hub').locator(`tr[data-link="${id}"]`)).toHaveAttribute(
        'data-connected',
        'true',
        SLOW,
      )
    }
    await expect(a.page.getByTestId('panel-self').locator('tr[data-link="h1"]')).toHaveAttribute(
      'data-connected',
      'true',
    )
    // the board entity: where it is
    await a.addNote('Where is the board?', { x: 120, y: 120 })
    await expect.poll(() => a.boardHost(), SLOW).toMatch(/^h[12]$/)
    await expect(a.page.getByTestId('board-stays').locator('li')).toHaveCount(1)
    // messages per second come from two readings a second apart
    await expect(a.page.getByTestId('panel-hub').locator('.stat b').first()).not.toHaveText('–', SLOW)

    // on a phone the panel opens over the board
    await c.openPanel()
    for (const tab of tabs) {
      await expect(c.page.getByTestId('panel-hub').locator(`tr[data-member="${tab.id}"]`)).toBeVisible(SLOW)
    }
    await c.page.screenshot({ path: testInfo.outputPath('phone-panel.png') })
    await a.page.screenshot({ path: testInfo.outputPath('desktop-panel.png') })

    // a tab that closes is no longer up: it says goodbye (pagehide) and the hub forgets it, or it is down
    await b.context.close()
    // read in one go: the panel redraws its rows every second, so a row found may be gone a moment later
    const statusOfB = () =>
      a.page
        .getByTestId('panel-hub')
        .evaluate(
          (panel, id) =>
            panel.querySelector(`tr[data-member="${id}"]`)?.getAttribute('data-status') ?? 'gone',
          b.id,
        )
    await expect.poll(statusOfB, SLOW).not.toBe('up')
  })
})
