import { type ChildProcess, spawn } from 'node:child_process'
import { createInterface } from 'node:readline'
import { test as base, type Page } from '@playwright/test'
import { serveStatic } from '@troupe/test-support'
import { APP_DIST, HUB_SCRIPT } from './paths.js'

/** The hub (`support/hub.mjs`) in its own process. */
export interface HubProcess {
  /** `ws://127.0.0.1:<port>` */
  readonly url: string
  kill(): Promise<void>
  /** Starts it again on the same port. */
  restart(): Promise<void>
}

/** A page running a tab node with a `<troupe-inspector>` for it. */
export interface InspectorTab {
  readonly id: string
  readonly page: Page
  /** Console errors and page errors. */
  readonly errors: string[]
}

export interface Fixtures {
  hub(): Promise<HubProcess>
  tab(id: string, hub: HubProcess, query?: Record<string, string>): Promise<InspectorTab>
}

async function startHub(port = 0): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [HUB_SCRIPT], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const url = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      if (line.startsWith('ready ')) resolve(line.slice('ready '.length))
    })
    child.once('exit', (code, signal) =>
      reject(new Error(`the hub exited before it was ready (${signal ?? code})`)),
    )
  })
  return { child, url }
}

export const test = base.extend<{ inspector: Fixtures }, { appUrl: string }>({
  appUrl: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const server = await serveStatic({ root: APP_DIST })
      await use(server.url)
      await server.close()
    },
    { scope: 'worker' },
  ],
  inspector: async ({ browser, appUrl }, use) => {
    const children: ChildProcess[] = []
    const pages: Page[] = []
    const kill = async (child: ChildProcess): Promise<void> => {
      if (child.exitCode !== null || child.signalCode !== null) return
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.kill('SIGKILL')
      await exited
    }
    await use({
      async hub() {
        let { child, url } = await startHub()
        children.push(child)
        const port = Number(new URL(url).port)
        return {
          url,
          kill: () => kill(child),
          async restart() {
            ;({ child, url } = await startHub(port))
            children.push(child)
          },
        }
      },
      async tab(id, hub, query = {}) {
        const context = await browser.newContext()
        const page = await context.newPage()
        pages.push(page)
        const errors: string[] = []
        page.on('console', (message) => {
          if (message.type() === 'error') errors.push(message.text())
        })
        page.on('pageerror', (error) => errors.push(String(error)))
        const search = new URLSearchParams({ hub: hub.url, id, ...query })
        await page.goto(`${appUrl}?${search}`)
        await page.locator('#status', { hasText: 'started' }).waitFor()
        return { id, page, errors }
      },
    })
    await Promise.all(pages.map((page) => page.context().close()))
    await Promise.all(children.map(kill))
  },
})

export { expect } from '@playwright/test'
