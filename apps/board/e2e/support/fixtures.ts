import {
  type Browser,
  type BrowserContext,
  test as base,
  expect,
  type Page,
  type TestInfo,
} from '@playwright/test'
import {
  createTcpProxy,
  freePort,
  type ReservedPorts,
  reservePorts,
  serveStatic,
  type TcpProxy,
} from '@troupe/test-support'
import { type HubProcess, startHubProcess } from './hubProcess.js'
import { WEB_DIST } from './paths.js'

/** A note as a tab shows it. */
export interface NoteInfo {
  id: string
  text: string
  x: number
  y: number
}

/** Options of {@link Board.tab}. */
export interface TabOptions {
  /** The hub URL the page dials (`?hub=`), or several, tried in this order. */
  hub: string | string[]
  /** @default 640×720 */
  viewport?: { width: number; height: number }
  /** A phone: touch, mobile viewport. */
  phone?: boolean
  /** The tab's name and colour (a palette key), instead of random ones. */
  identity?: { name: string; color: string }
}

/** A browser tab running the board, in its own context (so it can go offline alone). */
export interface Tab {
  readonly page: Page
  readonly context: BrowserContext
  /** The tab's node id. */
  readonly id: string
  /** Its friendly name. */
  readonly name: string
  /** Console errors and page errors. */
  readonly errors: string[]
  /** The connection pill's state. */
  state(): Promise<string>
  /** Every note shown, sorted by id. */
  notes(): Promise<NoteInfo[]>
  /** Adds a note (with the + button, or by double-clicking the board at `at`), types `text`; resolves with its id. */
  addNote(text: string, at?: { x: number; y: number }): Promise<string>
  editNote(id: string, text: string): Promise<void>
  /** Drags a note by its top bar with the mouse. */
  moveNote(id: string, dx: number, dy: number): Promise<void>
  /** Drags a note by its top bar with a finger (touch events, which the page sees as pointer events). */
  touchMoveNote(id: string, dx: number, dy: number): Promise<void>
  deleteNote(id: string): Promise<void>
  /** Opens the cluster panel if it is closed. */
  openPanel(): Promise<void>
  /** The hub the board entity is on, as this tab last heard ('' before the first snapshot). */
  boardHost(): Promise<string>
  /**
   * From the panel: the board's revision as this tab last heard, the ops this tab made, those not
   * saved yet, and how many times it sent one again.
   */
  boardFigures(): Promise<BoardFigures>
}

/** A tab's figures of the board (see {@link Tab.boardFigures}). */
export interface BoardFigures {
  rev: number
  made: number
  waiting: number
  resent: number
}

/** Polling for conditions that wait on reconnects and failure detection. */
export const SLOW = { timeout: 30_000, intervals: [100, 250, 500] }

/** Hubs, proxies and tabs of one test, torn down after it. */
export interface Board {
  /** Starts one hub process (`h1`) on a free port with a fresh data directory. */
  hub(options?: { port?: number; advertiseUrl?: string }): Promise<HubProcess>
  /**
   * Starts `count` hub processes (`h1`, `h2`, ...) on free ports, sharing one fresh data directory
   * (one SQLite file), each seeded with the others' URLs; resolves once they are linked.
   */
  hubs(count: number): Promise<HubProcess[]>
  /** A TCP proxy on 127.0.0.1 in front of `port`. */
  proxy(port: number): Promise<TcpProxy>
  tab(options: TabOptions): Promise<Tab>
  /** `count` TCP ports held until `release()` (see `reservePorts` in test support). */
  reservePorts(count: number): Promise<ReservedPorts>
}

/** Playwright's `test` with the `board` fixture: hubs, proxies and tabs, torn down after each test. */
export const test = base.extend<{ board: Board }, { appUrl: string }>({
  appUrl: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const server = await serveStatic({ root: WEB_DIST })
      await use(server.url)
      await server.close()
    },
    { scope: 'worker' },
  ],
  board: async ({ browser, appUrl }, use, testInfo) => {
    const hubs: HubProcess[] = []
    const proxies: TcpProxy[] = []
    const tabs: Tab[] = []
    let dataDirs = 0
    await use({
      async hub(options = {}) {
        const hub = await startHubProcess({
          id: 'h1',
          port: options.port ?? (await freePort()),
          dataDir: testInfo.outputPath(`data-${++dataDirs}`),
          ...options,
        })
        hubs.push(hub)
        return hub
      },
      async hubs(count) {
        const dataDir = testInfo.outputPath(`data-${++dataDirs}`)
        const ports: number[] = []
        for (let i = 0; i < count; i++) ports.push(await freePort())
        const urls = ports.map((port) => `ws://127.0.0.1:${port}`)
        const started: HubProcess[] = []
        for (const [i, port] of ports.entries()) {
          const hub = await startHubProcess({
            id: `h${i + 1}`,
            port,
            dataDir,
            seeds: urls.filter((_, j) => j !== i),
          })
          hubs.push(hub)
          started.push(hub)
        }
        // linked: each has seen every other one up
        for (const hub of started) {
          for (const other of started) {
            if (other === hub) continue
            await expect
              .poll(() => hub.output.some((line) => line.includes(`hub ${other.id} is up`)), SLOW)
              .toBe(true)
          }
        }
        return started
      },
      async proxy(port) {
        const proxy = await createTcpProxy({ targetHost: '127.0.0.1', targetPort: port })
        proxies.push(proxy)
        return proxy
      },
      async tab(options) {
        const tab = await openTab(browser, appUrl, options)
        tabs.push(tab)
        return tab
      },
      reservePorts,
    })
    if (testInfo.status !== testInfo.expectedStatus) await report(testInfo, tabs, hubs)
    for (const tab of tabs) expect.soft(tab.errors, `errors in tab ${tab.id}`).toEqual([])
    await Promise.all(tabs.map((tab) => tab.context.close().catch(() => {})))
    await Promise.all(hubs.map((hub) => hub.kill()))
    await Promise.all(proxies.map((proxy) => proxy.close()))
  },
})

/** Playwright's `expect`, for the specs that import `test` from here. */
export { expect }

async function openTab(browser: Browser, appUrl: string, options: TabOptions): Promise<Tab> {
  const context = await browser.newContext(
    options.phone
      ? {
          viewport: options.viewport ?? { width: 390, height: 780 },
          hasTouch: true,
          isMobile: true,
          deviceScaleFactor: 2,
        }
      : { viewport: options.viewport ?? { width: 640, height: 720 } },
  )
  if (options.identity !== undefined) {
    // what a reload would find: the page keeps the identity it has in sessionStorage
    await context.addInitScript((identity) => {
      sessionStorage.setItem('troupe-board-identity', JSON.stringify(identity))
    }, options.identity)
  }
  const page = await context.newPage()
  const errors: string[] = []
  page.on('console', (message) => {
    // the browser itself logs every failed WebSocket dial (hub down, link cut): expected here
    if (message.type() === 'error' && !/^WebSocket connection to .* failed/.test(message.text())) {
      errors.push(`[console] ${message.text()}`)
    }
  })
  page.on('pageerror', (error) => errors.push(`[pageerror] ${error.stack ?? error.message}`))
  const hubs = typeof options.hub === 'string' ? options.hub : options.hub.join(',')
  await page.goto(`${appUrl}?hub=${encodeURIComponent(hubs)}`)
  const self = page.getByTestId('self')
  await expect(self).toHaveAttribute('data-node-id', /^tab-/)
  const id = (await self.getAttribute('data-node-id')) ?? ''
  const name = (await self.locator('.me-name').textContent()) ?? ''
  const note = (noteId: string) => page.locator(`[data-testid="note"][data-id="${noteId}"]`)

  const commit = async (noteId: string): Promise<void> => {
    // leaving the text box sends the edit at once (no waiting for the typing pause)
    await note(noteId)
      .locator('textarea')
      .evaluate((element) => (element as HTMLTextAreaElement).blur())
  }

  return {
    page,
    context,
    id,
    name,
    errors,
    state: async () => (await page.getByTestId('connection').getAttribute('data-state')) ?? '',
    notes: () =>
      page.$$eval('[data-testid="note"]', (elements) =>
        elements
          .map((element) => {
            const el = element as HTMLElement
            return {
              id: el.dataset.id ?? '',
              text: (el.querySelector('textarea') as HTMLTextAreaElement).value,
              x: Number(el.dataset.x),
              y: Number(el.dataset.y),
            }
          })
          .sort((a, b) => a.id.localeCompare(b.id)),
      ),
    async addNote(text, at) {
      if (at === undefined) await page.getByTestId('add-note').click()
      else await page.getByTestId('board').dblclick({ position: at })
      const focused = page.locator('[data-testid="note"]:focus-within')
      await expect(focused).toHaveCount(1)
      const noteId = (await focused.getAttribute('data-id')) ?? ''
      await page.keyboard.type(text)
      await commit(noteId)
      return noteId
    },
    async editNote(noteId, text) {
      await note(noteId).locator('textarea').fill(text)
      await commit(noteId)
    },
    async moveNote(noteId, dx, dy) {
      const grip = note(noteId).getByTestId('note-grip')
      await grip.scrollIntoViewIfNeeded()
      const box = await grip.boundingBox()
      if (box === null) throw new Error(`note ${noteId} is not on screen`)
      const x = box.x + 40
      const y = box.y + box.height / 2
      await page.mouse.move(x, y)
      await page.mouse.down()
      await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 6 })
      await page.mouse.move(x + dx, y + dy, { steps: 6 })
      await page.mouse.up()
    },
    async touchMoveNote(noteId, dx, dy) {
      const grip = note(noteId).getByTestId('note-grip')
      await grip.scrollIntoViewIfNeeded()
      const box = await grip.boundingBox()
      if (box === null) throw new Error(`note ${noteId} is not on screen`)
      const cdp = await context.newCDPSession(page)
      const x = box.x + 40
      const y = box.y + box.height / 2
      const touch = (
        type: 'touchStart' | 'touchMove' | 'touchEnd',
        points: Array<{ x: number; y: number }>,
      ) => cdp.send('Input.dispatchTouchEvent', { type, touchPoints: points })
      await touch('touchStart', [{ x, y }])
      for (let step = 1; step <= 10; step++)
        await touch('touchMove', [{ x: x + (dx * step) / 10, y: y + (dy * step) / 10 }])
      await touch('touchEnd', [])
      await cdp.detach()
    },
    async deleteNote(noteId) {
      await note(noteId).hover()
      await note(noteId).getByTestId('delete-note').click()
    },
    async openPanel() {
      const toggle = page.getByTestId('toggle-panel')
      if ((await toggle.getAttribute('aria-expanded')) !== 'true') await toggle.click()
      await expect(page.getByTestId('panel')).toBeVisible()
    },
    boardHost: async () => (await page.getByTestId('board-host').getAttribute('data-host')) ?? '',
    async boardFigures() {
      const section = page.getByTestId('panel-board')
      const [rev = 0, made = 0, waiting = 0, resent = 0] = await Promise.all(
        ['rev', 'made', 'waiting', 'resent'].map(async (name) =>
          Number(await section.getAttribute(`data-${name}`)),
        ),
      )
      return { rev, made, waiting, resent }
    },
  }
}

/** After a failure: what every tab showed and every hub printed. */
async function report(testInfo: TestInfo, tabs: Tab[], hubs: HubProcess[]): Promise<void> {
  const lines = [`--- state after the failure of "${testInfo.title}"`]
  for (const tab of tabs) {
    if (tab.page.isClosed()) continue
    const state = await tab.state().catch(String)
    const notes = await tab.notes().catch(String)
    lines.push(`tab ${tab.id} (${tab.name}): ${state}, notes ${JSON.stringify(notes)}`, ...tab.errors)
    await testInfo.attach(`tab-${tab.id}.png`, {
      body: await tab.page.screenshot().catch(() => Buffer.alloc(0)),
      contentType: 'image/png',
    })
  }
  for (const hub of hubs)
    lines.push(`hub ${hub.id} on port ${hub.port} (alive: ${hub.alive}):`, ...hub.output.map((l) => `  ${l}`))
  const text = lines.join('\n')
  console.log(text)
  await testInfo.attach('cluster-state', { body: text, contentType: 'text/plain' })
}

/**
 * Screenshots `tabs` (each at its viewport size) and puts them side by side in one image,
 * rendered by a page of its own; writes it to `path` and returns it.
 */
export async function sideBySide(browser: Browser, tabs: Tab[], path: string): Promise<Buffer> {
  const shots = await Promise.all(tabs.map((tab) => tab.page.screenshot()))
  const sizes = tabs.map((tab) => tab.page.viewportSize() ?? { width: 640, height: 720 })
  const gap = 20
  const pad = 24
  const width = sizes.reduce((sum, s) => sum + s.width, 0) + gap * (tabs.length - 1) + pad * 2
  const height = Math.max(...sizes.map((s) => s.height)) + pad * 2
  const page = await browser.newPage({ viewport: { width, height } })
  const images = shots
    .map(
      (shot, i) =>
        `<img src="data:image/png;base64,${shot.toString('base64')}" width="${sizes[i]?.width}" height="${sizes[i]?.height}">`,
    )
    .join('')
  await page.setContent(`<!doctype html><style>
    html, body { margin: 0; height: 100%; }
    body { display: flex; gap: ${gap}px; padding: ${pad}px; box-sizing: border-box;
      background: linear-gradient(135deg, #dfe6f5, #efe6dc); }
    img { display: block; border-radius: 12px; box-shadow: 0 1px 2px rgba(0,0,0,.12), 0 18px 40px -18px rgba(20,30,60,.45); }
  </style>${images}`)
  const image = await page.screenshot({ path })
  await page.close()
  return image
}
