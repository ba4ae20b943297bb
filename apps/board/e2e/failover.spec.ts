import { writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import type { TestInfo } from '@playwright/test'
import { allSaved, everywhere, madeByAll, online, savedBoard } from './support/boardChecks.js'
import { type Board, expect, SLOW, type Tab, test } from './support/fixtures.js'
import type { HubProcess } from './support/hubProcess.js'
import { APP_DIR } from './support/paths.js'

/** Two hubs sharing the board, tab A on h1 (with the panel open) and tab B on h2. */
async function twoHubsTwoTabs(board: Board): Promise<{ hubs: HubProcess[]; a: Tab; b: Tab }> {
  const hubs = await board.hubs(2)
  const [h1, h2] = hubs as [HubProcess, HubProcess]
  const a = await board.tab({ hub: [h1.url, h2.url], viewport: { width: 1280, height: 800 } })
  const b = await board.tab({ hub: [h2.url, h1.url] })
  await online(a, b)
  await a.openPanel()
  await expect(a.page.getByTestId('hub-id')).toHaveText('h1', SLOW)
  return { hubs, a, b }
}

/** The hub the board is on, as both tabs see it. */
async function boardHost(hubs: HubProcess[], a: Tab, b: Tab): Promise<HubProcess> {
  await expect.poll(() => a.boardHost(), SLOW).toMatch(/^h[12]$/)
  const id = await a.boardHost()
  await expect.poll(() => b.boardHost(), SLOW).toBe(id)
  const host = hubs.find((hub) => hub.id === id)
  if (host === undefined) throw new Error(`the board is on an unknown hub "${id}"`)
  return host
}

const textOf = async (tab: Tab, id: string): Promise<string | undefined> =>
  (await tab.notes()).find((note) => note.id === id)?.text

/** Checked in the page every 10 ms, timed there. */
const IN_PAGE = { polling: 10, timeout: SLOW.timeout }

/** When (the page's `Date.now()`) every edit of `tab` has been answered by the board (saved). */
async function savedAt(tab: Tab): Promise<number> {
  const handle = await tab.page.waitForFunction(
    () =>
      (document.querySelector('[data-testid="panel-board"]') as HTMLElement | null)?.dataset.waiting === '0'
        ? Date.now()
        : 0,
    undefined,
    IN_PAGE,
  )
  return (await handle.jsonValue()) as number
}

/** When (the page's `Date.now()`) `tab` shows `text` in note `id`. */
async function shownAt(tab: Tab, id: string, text: string): Promise<number> {
  const handle = await tab.page.waitForFunction(
    (note) =>
      (
        document.querySelector(
          `[data-testid="note"][data-id="${note.id}"] textarea`,
        ) as HTMLTextAreaElement | null
      )?.value === note.text
        ? Date.now()
        : 0,
    { id, text },
    IN_PAGE,
  )
  return (await handle.jsonValue()) as number
}

/** Times after a kill, in ms: the edit made, saved (answered by the board), and shown in the other tab. */
interface EditTimes {
  madeMs: number
  savedMs: number
  shownMs: number
}

/**
 * Right after `killedAt`, each tab of `editors` edits a note; resolves with how long after the kill
 * each edit was made, saved, and shown in the other tab (timed in the pages, to 10 ms).
 */
async function editRightAway(
  killedAt: number,
  editors: Array<{ tab: Tab; other: Tab; note: string; text: string }>,
): Promise<EditTimes[]> {
  const made: number[] = []
  for (const { tab, note, text } of editors) {
    await tab.editNote(note, text)
    made.push(Date.now())
  }
  return Promise.all(
    editors.map(async ({ tab, other, note, text }, i) => {
      const [saved, shown] = await Promise.all([savedAt(tab), shownAt(other, note, text)])
      return { madeMs: (made[i] ?? 0) - killedAt, savedMs: saved - killedAt, shownMs: shown - killedAt }
    }),
  )
}

/** Prints the figures and keeps them in the JSON report (test annotations). */
function report(testInfo: TestInfo, what: string, figures: unknown): void {
  const text = `${what}: ${JSON.stringify(figures)}`
  console.log(text)
  testInfo.annotations.push({ type: 'figures', description: text })
}

test.describe('the board on two hubs', () => {
  test('the hub hosting the board is killed: the board moves to the other, stays editable, and no edit is lost', async ({
    board,
  }, testInfo) => {
    const { hubs, a, b } = await twoHubsTwoTabs(board)
    const first = await a.addNote('Made before the kill, in A', { x: 90, y: 100 })
    const second = await b.addNote('Made before the kill, in B', { x: 420, y: 140 })
    await a.moveNote(second, 30, 220)
    await b.editNote(first, 'Made before the kill, in A (edited in B)')
    await allSaved([a, b])
    await everywhere([b], await a.notes())

    const host = await boardHost(hubs, a, b)
    const survivor = hubs.find((hub) => hub !== host) as HubProcess
    // A sits on h1, B on h2: one of them loses its hub with the board
    const [onHost, onSurvivor] = host.id === 'h1' ? [a, b] : [b, a]

    const killedAt = Date.now()
    await host.kill('SIGKILL')
    const times = await editRightAway(killedAt, [
      {
        tab: onHost,
        other: onSurvivor,
        note: first,
        text: 'Edited right after the kill, by the tab on that hub',
      },
      {
        tab: onSurvivor,
        other: onHost,
        note: second,
        text: 'Edited right after the kill, by the tab on the other',
      },
    ])
    report(
      testInfo,
      `board/main on ${host.id} SIGKILLed, moved to ${survivor.id}; kill → edit saved / shown`,
      {
        tabOnKilledHub: times[0],
        tabOnOtherHub: times[1],
      },
    )
    for (const tab of [a, b]) await expect.poll(() => tab.boardHost(), SLOW).toBe(survivor.id)
    await expect(a.page.getByTestId('hub-id')).toHaveText(survivor.id, SLOW)

    // and on: more edits, from both tabs
    const third = await a.addNote('Made after the move, in A', { x: 140, y: 430 })
    await b.moveNote(first, 160, 40)
    await b.editNote(third, 'Made after the move, in A (edited in B)')
    await a.deleteNote(second)
    await allSaved([a, b])
    const expected = await a.notes()
    expect(expected.map((note) => note.text)).toEqual(
      [
        { id: first, text: 'Edited right after the kill, by the tab on that hub' },
        { id: third, text: 'Made after the move, in A (edited in B)' },
      ]
        .sort((x, y) => x.id.localeCompare(y.id))
        .map((note) => note.text),
    )
    await everywhere([b], expected)

    // the panel shows where the board has been: the picture of the move
    const stays = a.page.getByTestId('board-stays').locator('li')
    await expect(stays).toHaveCount(2)
    expect(await stays.evaluateAll((items) => items.map((li) => (li as HTMLElement).dataset.host))).toEqual([
      host.id,
      survivor.id,
    ])
    const picture = await a.page.screenshot({ path: testInfo.outputPath('board-moved.png') })
    await writeFile(join(APP_DIR, 'test-results', 'board-moved.png'), picture)
    await testInfo.attach('board-moved', { body: picture, contentType: 'image/png' })

    // the killed hub comes back: placement gives it the board again, which moves (no kill this time)
    await host.restart()
    await a.editNote(third, 'Edited while the first hub comes back')
    for (const tab of [a, b]) await expect.poll(() => tab.boardHost(), SLOW).toBe(host.id)
    await b.editNote(first, 'Edited once the board is back on the first hub')
    await allSaved([a, b])
    const final = await a.notes()
    await everywhere([b], final)
    report(testInfo, 'ops sent again by the tabs after a snapshot lacked them', {
      a: (await a.boardFigures()).resent,
      b: (await b.boardFigures()).resent,
    })

    // saved, every op once: the board's revision is the number of ops the tabs made
    const made = await madeByAll([a, b])
    expect(await savedBoard(board, hubs)).toEqual({ notes: final, rev: made })
  })

  test('the hub not hosting the board is killed: its tabs move to the other, and no edit is lost', async ({
    board,
  }, testInfo) => {
    const { hubs, a, b } = await twoHubsTwoTabs(board)
    const first = await a.addNote('Made before the kill, in A', { x: 90, y: 100 })
    const second = await b.addNote('Made before the kill, in B', { x: 420, y: 140 })
    await allSaved([a, b])
    await everywhere([b], await a.notes())
    const host = await boardHost(hubs, a, b)
    const other = hubs.find((hub) => hub !== host) as HubProcess
    const [onHost, onOther] = host.id === 'h1' ? [a, b] : [b, a]

    const killedAt = Date.now()
    await other.kill('SIGKILL')
    const times = await editRightAway(killedAt, [
      {
        tab: onOther,
        other: onHost,
        note: first,
        text: 'Edited right after the kill, by the tab on that hub',
      },
      {
        tab: onHost,
        other: onOther,
        note: second,
        text: 'Edited right after the kill, by the tab on the other',
      },
    ])
    report(testInfo, `${other.id} SIGKILLed, board/main stays on ${host.id}; kill → edit saved / shown`, {
      tabOnKilledHub: times[0],
      tabOnOtherHub: times[1],
    })
    // the board did not move; the tab of the killed hub is on the other one now
    await expect(onOther.page.getByTestId('board-stays').locator('li')).toHaveCount(1)
    expect(await onOther.boardHost()).toBe(host.id)
    await expect(onOther.page.getByTestId('hub-id')).toHaveText(host.id, SLOW)

    await onOther.addNote('Made after the kill, by the tab that moved', { x: 200, y: 420 })
    await onHost.moveNote(first, 100, 60)
    await allSaved([a, b])
    const final = await a.notes()
    expect(final).toHaveLength(3)
    await everywhere([b], final)
    const made = await madeByAll([a, b])
    expect(await savedBoard(board, hubs)).toEqual({ notes: final, rev: made })
  })

  test('an op a tab sends again after a failover is applied once', async ({ board }) => {
    const { hubs, a, b } = await twoHubsTwoTabs(board)
    const id = await a.addNote('Sent twice', { x: 100, y: 100 })
    await allSaved([a])
    await everywhere([b], await a.notes())

    // what the tab's journal sends when a snapshot lacks an op: the same op, with the same op id
    const resend = (text: string) =>
      a.page.evaluate(
        async ({ noteId, text, tabId }) => {
          const { node } = (globalThis as unknown as { troupe: { node: import('@troupe/browser').Node } })
            .troupe
          const entity = node.entity('board', 'main')
          const author = document.querySelector('[data-testid="self"] .me-name')?.textContent ?? ''
          const op = {
            kind: 'edit',
            note: {
              id: noteId,
              text,
              x: 100,
              y: 100,
              z: 1,
              color: 'sky',
              author,
              textStamp: [1_000, tabId],
              posStamp: [0, tabId],
            },
          }
          return entity.ask({ type: 'op', opId: `${tabId}:1000000`, op }, { timeoutMs: 30_000 })
        },
        { noteId: id, text, tabId: a.id },
      )
    const firstReply = (await resend('Edited by an op sent twice')) as { rev: number }
    expect(firstReply).toEqual({ rev: expect.any(Number) })
    await expect.poll(() => textOf(b, id), SLOW).toBe('Edited by an op sent twice')
    // a later edit, with a newer stamp
    await b.editNote(id, 'Edited in B after it')
    await allSaved([b])
    await expect.poll(() => textOf(a, id), SLOW).toBe('Edited in B after it')

    const host = await boardHost(hubs, a, b)
    await host.kill('SIGKILL')
    // the same op again, as after a failover: the next hub's board knows it, and does not apply it again
    expect(await resend('Edited by an op sent twice')).toEqual({ rev: firstReply.rev, repeat: true })
    const survivor = hubs.find((hub) => hub !== host) as HubProcess
    for (const tab of [a, b]) await expect.poll(() => tab.boardHost(), SLOW).toBe(survivor.id)
    expect(await textOf(a, id)).toBe('Edited in B after it')
    await everywhere([b], await a.notes())

    // one revision per op the tabs made, plus the one sent twice, counted once
    const made = await madeByAll([a, b])
    const saved = await savedBoard(board, hubs)
    expect(saved.rev).toBe(made + 1)
    expect(saved.notes.map((n) => n.text)).toEqual(['Edited in B after it'])
  })
})
