import { join } from 'node:path'
import { serveInspector } from '@troupe/inspector/serve'
import { createNode, type Member, type Node, sqliteStorage } from '@troupe/node'
import { address, BOARD_KEY, BOARD_KIND, type ToBoard, VIEW_ACTOR, VIEW_TTL_MS } from '../src/protocol.js'
import { boardEntity } from './boardEntity.js'

/** Options of {@link startBoardHub}. */
export interface BoardHubOptions {
  /** The hub's node id. @default 'h1' */
  id?: string
  /** Where the hubs keep the board: `troupe.db` in it, one SQLite file every hub of the machine shares. */
  dataDir: string
  /** @default '127.0.0.1' */
  host?: string
  /** @default 9101 */
  port?: number
  /** The other hubs' URLs: the hubs link to each other (each dials those it hears of, too). @default [] */
  seeds?: string[]
  /** The URL tabs should dial to reach this hub, when it is not the listener's (behind a proxy). */
  advertiseUrl?: string
  /** @default console.log with a `[<id>]` prefix */
  log?: (line: string) => void
}

/** A running hub of the board: see {@link startBoardHub}. */
export interface BoardHub {
  readonly node: Node
  readonly url: string
  /** The SQLite file the board is saved in. */
  readonly storageFile: string
  /** Leaves the cluster (tabs and the other hubs see `member-left`; the board moves). Idempotent. */
  close(): Promise<void>
}

/**
 * One hub of the board: a `@troupe/node` node listening for tabs and linked
 * to the other hubs, hosting entities of kind `board` (the board `board/main`
 * lives on one hub at a time, and moves to another when that one dies) with
 * their state in a SQLite file the hubs share, and the inspector actor
 * `troupe.inspector` (the hub's members and figures, for the tabs' panel).
 */
export async function startBoardHub(options: BoardHubOptions): Promise<BoardHub> {
  const { dataDir, host = '127.0.0.1', port = 9101, id = 'h1', seeds = [] } = options
  const log = options.log ?? ((line: string) => console.log(`[${id}] ${line}`))
  const storageFile = join(dataDir, 'troupe.db')
  const storage = sqliteStorage(storageFile)
  // tabs hold board updates for a minute; a hub holds messages for tabs (relayed cursors) as long
  const node = await createNode({
    id,
    listen: { host, port },
    seeds,
    storage,
    // GET /metrics beside /healthz and /readyz on the hub's port (a local demo: nothing to keep private)
    metrics: true,
    holdTtlMs: 60_000,
    ...(options.advertiseUrl === undefined ? {} : { advertiseUrl: options.advertiseUrl }),
  })
  node.define(BOARD_KIND, boardEntity({ host: id, log }))
  // what the tabs' cluster panel shows of the hub (the board has no authorize: every tab may ask)
  serveInspector(node)
  const stopWatchingTabs = unsubscribeGoneTabs(node)
  node.on('member-up', (m) => log(`${m.role} ${m.id} is up`))
  node.on('member-down', (m) => log(`${m.role} ${m.id} is down`))
  node.on('member-left', (m) => log(`${m.role} ${m.id} left`))
  node.on('actor-error', (e) => log(`${e.address} failed: ${String(e.error)} (${e.action})`))

  let closing: Promise<void> | undefined
  return {
    node,
    url: node.url ?? `ws://${host}:${port}`,
    storageFile,
    close() {
      closing ??= (async () => {
        stopWatchingTabs()
        await node.close()
        await storage.close()
      })()
      return closing
    },
  }
}

/**
 * Takes the views of tabs that are gone off the board: a tab of this hub that
 * left (closed) at once, one that is down once it has stayed down as long as
 * updates would wait for it. A tab that comes back subscribes again. Returns
 * a function that stops the watch.
 */
function unsubscribeGoneTabs(node: Node): () => void {
  const board = node.entity<ToBoard>(BOARD_KIND, BOARD_KEY)
  const unsubscribe = (tab: string) => board.send({ type: 'unsubscribe', view: address(VIEW_ACTOR, tab) })
  const mine = (member: Member) => member.role === 'client' && member.via === node.id
  node.on('member-left', (member) => {
    if (mine(member)) unsubscribe(member.id)
  })
  const timers = new Set<NodeJS.Timeout>()
  node.on('member-down', (member) => {
    if (!mine(member)) return
    const timer = setTimeout(() => {
      timers.delete(timer)
      const now = node.members().find((m) => m.id === member.id)
      if (now === undefined || now.status === 'down' || now.status === 'left') unsubscribe(member.id)
    }, VIEW_TTL_MS)
    timers.add(timer)
  })
  return () => {
    for (const timer of timers) clearTimeout(timer)
    timers.clear()
  }
}
