import { type Board, expect, type NoteInfo, SLOW, type Tab } from './fixtures.js'
import type { HubProcess } from './hubProcess.js'

/** Waits until every tab is linked to a hub. */
export async function online(...tabs: Tab[]): Promise<void> {
  for (const tab of tabs) await expect.poll(() => tab.state(), SLOW).toBe('online')
}

/** Waits until every tab shows exactly `notes`. */
export async function everywhere(tabs: Tab[], notes: NoteInfo[]): Promise<void> {
  for (const tab of tabs) await expect.poll(() => tab.notes(), SLOW).toEqual(notes)
}

/** `notes` with the text of note `id` changed. */
export const withText = (notes: NoteInfo[], id: string, text: string): NoteInfo[] =>
  notes.map((note) => (note.id === id ? { ...note, text } : note))

/** How many ops the tabs made, together: each is one revision of the board, if each is applied once. */
export async function madeByAll(tabs: Tab[]): Promise<number> {
  let made = 0
  for (const tab of tabs) made += (await tab.boardFigures()).made
  return made
}

/** Waits until every tab has had each of its edits answered by the board (which means saved). */
export async function allSaved(tabs: Tab[]): Promise<void> {
  for (const tab of tabs) await expect.poll(async () => (await tab.boardFigures()).waiting, SLOW).toBe(0)
}

/**
 * What the board saved, and nothing else: every hub is killed (SIGKILL, so no memory of theirs
 * survives) and started again on the same data, and a new tab reads the board. Resolves with the
 * notes it shows and the board's revision (the number of ops applied), once they stop changing.
 */
export async function savedBoard(
  board: Board,
  hubs: HubProcess[],
): Promise<{ notes: NoteInfo[]; rev: number }> {
  for (const hub of hubs) await hub.kill('SIGKILL')
  for (const hub of hubs) await hub.restart()
  const fresh = await board.tab({ hub: hubs.map((hub) => hub.url) })
  await online(fresh)
  await expect.poll(async () => (await fresh.boardFigures()).rev, SLOW).toBeGreaterThan(0)
  return { notes: await fresh.notes(), rev: (await fresh.boardFigures()).rev }
}
