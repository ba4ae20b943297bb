import {
  type Browser,
  type BrowserContext,
  test as base,
  expect,
  type Page,
  type TestInfo,
} from '@playwright/test'
import { createTcpProxy, serveStatic, type TcpProxy } from '@troupe/test-support'
import { type Hub, type HubOptions, startHub } from './hubs.js'
import { APP_DIST } from './paths.js'
import type { ConnectionState, DeadLetterInfo, Numbered, TabApi } from './tabApi.js'

type Method = keyof TabApi
type Result<K extends Method> = Awaited<ReturnType<TabApi[K]>>

/** A browser tab (its own context, so it can go offline alone) running one Troupe node. */
export interface Tab {
  readonly id: string
  readonly page: Page
  readonly context: BrowserContext
  /** Console messages and page errors, `[type] text`. */
  readonly console: string[]
  /** Calls `window.tab[method](...args)` in the page. */
  call<K extends Method>(method: K, ...args: Parameters<TabApi[K]>): Promise<Result<K>>
  /** The node's connection state now. */
  state(): Promise<ConnectionState>
  /** The `seq`s of the numbered messages from `from` that the recorder `recorder` got, in order. */
  numbersFrom(from: string, recorder?: string): Promise<number[]>
  deadLetters(): Promise<DeadLetterInfo[]>
}

/** Hubs, proxies and tabs of one test; all of them are torn down after it. */
export interface Cluster {
  hub(id: string, options?: HubOptions): Promise<Hub>
  /** A TCP proxy on 127.0.0.1 in front of `targetPort`. */
  proxy(targetPort: number): Promise<TcpProxy>
  /** Opens a tab, starts its node with `seeds`, and spawns a `log` recorder and an `echo` actor in it. */
  tab(id: string, seeds: string[], options?: { traced?: boolean }): Promise<Tab>
}

/** 0 … n-1 */
export const range = (n: number, first = 0): number[] => Array.from({ length: n }, (_, i) => first + i)

/** The `seq`s of the numbered messages from `from` in `messages`, in order. */
export function numbersFrom(messages: unknown[], from: string): number[] {
  return messages
    .filter((m): m is Numbered => typeof m === 'object' && m !== null && (m as Numbered).from === from)
    .map((m) => m.seq)
}

/** Polling options for conditions that depend on reconnects and failure detection. */
export const SLOW = { timeout: 30_000, intervals: [100, 250, 500] }

/** `id:status` of every member `hub` knows (itself included), sorted, e.g. `['hub1:up', 'tabA:up']`. */
export async function memberStatuses(hub: Hub): Promise<string[]> {
  return (await hub.members()).map((m) => `${m.id}:${m.status}`).sort()
}

/** How `hub` sees member `id`: `status via hub`, e.g. `up via hub1`, or `unknown`. */
export async function memberView(hub: Hub, id: string): Promise<string> {
  const member = (await hub.members()).find((m) => m.id === id)
  return member === undefined ? 'unknown' : `${member.status} via ${member.via}`
}

export const test = base.extend<{ cluster: Cluster }, { appUrl: string }>({
  appUrl: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright reads a fixture's dependencies from this pattern
    async ({}, use) => {
      const server = await serveStatic({ root: APP_DIST })
      await use(server.url)
      await server.close()
    },
    { scope: 'worker' },
  ],
  cluster: async ({ browser, appUrl }, use, testInfo) => {
    const hubs: Hub[] = []
    const proxies: TcpProxy[] = []
    const tabs: Tab[] = []
    const cluster: Cluster = {
      async hub(id, options) {
        const hub = await startHub(id, options)
        hubs.push(hub)
        return hub
      },
      async proxy(targetPort) {
        const proxy = await createTcpProxy({ targetHost: '127.0.0.1', targetPort })
        proxies.push(proxy)
        return proxy
      },
      async tab(id, seeds, options) {
        const tab = await openTab(browser, appUrl, id)
        tabs.push(tab)
        await tab.call('start', seeds, id, options?.traced === true)
        await tab.call('spawnRecorder', 'log')
        await tab.call('spawnEcho', 'echo')
        return tab
      },
    }
    await use(cluster)
    if (testInfo.status !== testInfo.expectedStatus) await report(testInfo, tabs, hubs)
    await Promise.all(tabs.map((tab) => tab.context.close().catch(() => {})))
    await Promise.all(hubs.map((hub) => hub.kill()))
    await Promise.all(proxies.map((proxy) => proxy.close()))
  },
})

export { expect }

async function openTab(browser: Browser, appUrl: string, id: string): Promise<Tab> {
  const context = await browser.newContext()
  const page = await context.newPage()
  const lines: string[] = []
  page.on('console', (message) => {
    const line = `[${message.type()}] ${message.text()}`
    lines.push(line)
    // errors and warnings show at once, so a library failure is visible even when the test passes;
    // failed dials are expected whenever a test breaks a link (they are in the report after a failure)
    const expected = /^WebSocket connection to .* failed/.test(message.text())
    if ((message.type() === 'error' || message.type() === 'warning') && !expected) {
      console.log(`  tab ${id} console: ${line}`)
    }
  })
  page.on('pageerror', (error) => {
    const line = `[pageerror] ${error.stack ?? error.message}`
    lines.push(line)
    console.log(`  tab ${id}: ${line}`)
  })
  page.on('crash', () => lines.push('[crash] the page crashed'))
  page.on('response', (response) => {
    if (response.status() >= 400) lines.push(`[http ${response.status()}] ${response.url()}`)
  })
  await page.goto(appUrl)
  await page.waitForFunction(() => window.tab !== undefined)
  const call = <K extends Method>(method: K, ...args: Parameters<TabApi[K]>): Promise<Result<K>> =>
    page.evaluate(({ method, args }) => (window.tab[method] as (...a: unknown[]) => unknown)(...args), {
      method,
      args: args as unknown[],
    }) as Promise<Result<K>>
  return {
    id,
    page,
    context,
    console: lines,
    call,
    state: () => call('connectionState'),
    numbersFrom: async (from, recorder = 'log') => numbersFrom(await call('received', recorder), from),
    deadLetters: () => call('deadLetters'),
  }
}

/** After a failure: every tab's console, connection states, dead letters and metrics, and every hub's events. */
async function report(testInfo: TestInfo, tabs: Tab[], hubs: Hub[]): Promise<void> {
  const lines: string[] = [`--- state after the failure of "${testInfo.title}"`]
  for (const tab of tabs) {
    lines.push(`tab ${tab.id} console:`, ...collapse(tab.console).map((line) => `  ${line}`))
    if (tab.page.isClosed()) continue
    const snapshot = await tab.page
      .evaluate(() => ({
        states: window.tab.states(),
        deadLetters: window.tab.deadLetters(),
        memberEvents: window.tab.memberEvents(),
        members: window.tab.members(),
        metrics: window.tab.metrics(),
      }))
      .catch((error: unknown) => String(error))
    if (typeof snapshot === 'string') {
      lines.push(`tab ${tab.id}: ${snapshot}`)
      continue
    }
    lines.push(
      `tab ${tab.id} connection states: ${snapshot.states.join(' → ')}`,
      `tab ${tab.id} dead letters: ${summarize(snapshot.deadLetters)}`,
      `tab ${tab.id} member events: ${JSON.stringify(snapshot.memberEvents)}`,
      `tab ${tab.id} members: ${JSON.stringify(snapshot.members)}`,
      `tab ${tab.id} metrics: ${JSON.stringify(snapshot.metrics)}`,
    )
  }
  for (const hub of hubs) {
    const deadLetters = hub.events.filter((e) => e.event === 'deadletter')
    lines.push(
      `hub ${hub.id} (alive: ${hub.alive}) member events: ${JSON.stringify(hub.events.filter((e) => e.event !== 'deadletter'))}`,
      `hub ${hub.id} dead letters: ${summarize(deadLetters.map((e) => ({ to: e.to, from: e.from, reason: e.reason, message: e.message })))}`,
    )
    if (hub.alive) {
      const [members, metrics] = await Promise.all([hub.members(), hub.metrics()]).catch((error: unknown) => [
        String(error),
        undefined,
      ])
      lines.push(
        `hub ${hub.id} members: ${JSON.stringify(members)}`,
        `hub ${hub.id} metrics: ${JSON.stringify(metrics)}`,
      )
    }
  }
  const text = lines.join('\n')
  console.log(text)
  await testInfo.attach('cluster-state', { body: text, contentType: 'text/plain' })
}

/** Dead letters grouped by reason, target and sender, numbered messages as seq ranges: `ttl-expired log@tabB from tabA: 50-149`. */
function summarize(
  deadLetters: Array<{ to?: unknown; from?: unknown; reason?: unknown; message: unknown }>,
): string {
  if (deadLetters.length === 0) return 'none'
  const groups = new Map<string, Array<number | string>>()
  for (const d of deadLetters) {
    const numbered = d.message as Partial<Numbered> | undefined
    const key = `${d.reason} ${d.to}${numbered?.from === undefined ? '' : ` from ${numbered.from}`}`
    const list = groups.get(key) ?? []
    list.push(typeof numbered?.seq === 'number' ? numbered.seq : (JSON.stringify(d.message) ?? 'undefined'))
    groups.set(key, list)
  }
  return [...groups].map(([key, items]) => `${key}: ${ranges(items)}`).join('; ')
}

/** `[1, 2, 3, 7]` → `1-3, 7` */
function ranges(items: Array<number | string>): string {
  const parts: string[] = []
  for (let i = 0; i < items.length; ) {
    const first = items[i]
    let j = i
    while (typeof first === 'number' && items[j + 1] === (items[j] as number) + 1) j++
    parts.push(j > i ? `${first}-${items[j]}` : String(first))
    i = j + 1
  }
  return `${parts.join(', ')} (${items.length})`
}

/** Runs of the same line as one line with a count. */
function collapse(lines: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < lines.length; ) {
    let j = i
    while (lines[j + 1] === lines[i]) j++
    out.push(j > i ? `${lines[i]} (×${j - i + 1})` : (lines[i] as string))
    i = j + 1
  }
  return out
}
